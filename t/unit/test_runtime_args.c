/*
 * Copyright (C) nginx-rtc authors
 *
 * go2rtc's PUT /api/streams query (ngx_rtc_runtime_args.c): the name, the
 * camera among the sources as Home Assistant sends them, audio=opus, the
 * refusals; and the query as logged, its credentials redacted.
 */

/* unit-deps: src/ngx_rtc_runtime_args.c src/ngx_rtc_auth.c */
/* unit-libs: -lcrypto */

#include "ngx_rtc_unit.h"
#include <ngx_rtc.h>
#include <ngx_rtc_runtime_args.h>


static ngx_int_t
test_parse(const char *q, ngx_rtc_runtime_args_t *a, const char **err)
{
    ngx_str_t      args;
    static u_char  buf[4096];

    args.data = (u_char *) q;
    args.len = ngx_strlen(q);
    *err = NULL;

    return ngx_rtc_runtime_args_parse(&args, buf, a, err);
}


static ngx_uint_t
test_is(ngx_str_t *s, const char *v)
{
    return s->len == ngx_strlen(v) && ngx_strncmp(s->data, v, s->len) == 0;
}


static void
test_home_assistant(void)
{
    const char              *err;
    ngx_rtc_runtime_args_t   a;

    /* aiohttp's encoding of HA's three sources */

    NGX_RTC_CHECK(test_parse(
        "name=camera.front_door"
        "&src=rtsp%3A%2F%2Fuser%3Ap%2540ss%40192.168.1.20%3A554%2Fstream1"
        "&src=ffmpeg%3Acamera.front_door%23audio%3Dopus"
        "%23query%3Dlog_level%3Ddebug"
        "&src=ffmpeg%3Acamera.front_door%23video%3Dmjpeg", &a, &err)
        == NGX_OK);

    NGX_RTC_CHECK(test_is(&a.name, "camera.front_door"));
    NGX_RTC_CHECK(test_is(&a.url,
                          "rtsp://user:p%40ss@192.168.1.20:554/stream1"));
    NGX_RTC_CHECK(a.audio == NGX_RTC_AUDIO_OPUS);
    NGX_RTC_CHECK(a.nsrc == 3 && a.ignored == 2);

    /* python-go2rtc-client's two sources, raw; go2rtc options dropped */

    NGX_RTC_CHECK(test_parse("src=rtsps://10.0.0.2/s%23backchannel=0"
                             "&name=cam&src=ffmpeg:cam%23audio=opus",
                             &a, &err) == NGX_OK);
    NGX_RTC_CHECK(test_is(&a.url, "rtsps://10.0.0.2/s"));
    NGX_RTC_CHECK(a.audio == NGX_RTC_AUDIO_OPUS);

    /* no audio=opus: audio as the camera sends it; first rtsp:// wins */

    NGX_RTC_CHECK(test_parse("name=c&src=rtsp://a/1&src=RTSP://b/2"
                             "&src=ffmpeg:c%23audio=opusx", &a, &err)
                  == NGX_OK);
    NGX_RTC_CHECK(test_is(&a.url, "rtsp://a/1"));
    NGX_RTC_CHECK(a.audio == NGX_RTC_AUDIO_COPY && a.ignored == 2);

    /* HA's "generic" cameras: ffmpeg:rtsp://, when nothing better */

    NGX_RTC_CHECK(test_parse("name=g&src=ffmpeg%3Artsp%3A%2F%2F10.0.0.3%2Fs"
                             "&src=ffmpeg%3Ag%23audio%3Dopus", &a, &err)
                  == NGX_OK);
    NGX_RTC_CHECK(test_is(&a.url, "rtsp://10.0.0.3/s"));
    NGX_RTC_CHECK(a.audio == NGX_RTC_AUDIO_OPUS && a.ignored == 1);

    /* "+" is a space, as go2rtc reads it; the first name counts */

    NGX_RTC_CHECK(test_parse("name=a&name=b&src=rtsp://h/a+b", &a, &err)
                  == NGX_OK);
    NGX_RTC_CHECK(test_is(&a.name, "a") && test_is(&a.url, "rtsp://h/a b"));

    /* no camera we can pull: parsed, the caller refuses it */

    NGX_RTC_CHECK(test_parse("name=x&src=ffmpeg:x&src=http://h/",
                             &a, &err) == NGX_OK);
    NGX_RTC_CHECK(a.url.len == 0 && a.nsrc == 2 && a.ignored == 2);
}


static void
test_refused(void)
{
    const char              *err;
    ngx_rtc_runtime_args_t   a;

    NGX_RTC_CHECK(test_parse("src=rtsp://h/", &a, &err) == NGX_ERROR);
    NGX_RTC_CHECK(err && ngx_strcmp(err, "needs a name") == 0);

    NGX_RTC_CHECK(test_parse("name=&src=rtsp://h/", &a, &err) == NGX_ERROR);
    NGX_RTC_CHECK(test_parse("", &a, &err) == NGX_ERROR);
    NGX_RTC_CHECK(test_parse("name", &a, &err) == NGX_ERROR);

    NGX_RTC_CHECK(test_parse("name=a%2Fb&src=rtsp://h/", &a, &err)
                  == NGX_ERROR);
    NGX_RTC_CHECK(test_parse("name=a%00b", &a, &err) == NGX_ERROR);
    NGX_RTC_CHECK(test_parse("name=a%22b", &a, &err) == NGX_ERROR);

    NGX_RTC_CHECK(test_parse("name=0123456789012345678901234567890123456789"
                             "012345678901234567890123", &a, &err)
                  == NGX_ERROR);
    NGX_RTC_CHECK(err && ngx_strcmp(err, "the name is too long") == 0);

    NGX_RTC_CHECK(test_parse("name=012345678901234567890123456789012345678"
                             "9012345678901234567890a", &a, &err) == NGX_OK);

    /* a truncated escape is kept as it is */

    NGX_RTC_CHECK(test_parse("name=a&src=rtsp://h/%2", &a, &err) == NGX_OK);
    NGX_RTC_CHECK(test_is(&a.url, "rtsp://h/%2"));
}


static ngx_uint_t
test_redacted(const char *in, const char *out)
{
    u_char      buf[1024], *last;
    ngx_str_t   args;

    args.data = (u_char *) in;
    args.len = ngx_strlen(in);

    last = ngx_rtc_runtime_args_redact(&args, buf);

    if ((size_t) (last - buf) > args.len) {
        return 0;
    }

    return (size_t) (last - buf) == ngx_strlen(out)
           && ngx_strncmp(buf, out, last - buf) == 0;
}


static void
test_redact(void)
{
    NGX_RTC_CHECK(test_redacted(
        "PUT /api/streams?name=c&src=rtsp%3A%2F%2Fuser%3Asecret%40h%3A554"
        "%2Fs&src=ffmpeg%3Artsp%3A%2F%2Fu%3Ap%40h2%2Fs HTTP/1.1",
        "PUT /api/streams?name=c&src=rtsp%3A%2F%2F***%40h%3A554"
        "%2Fs&src=ffmpeg%3Artsp%3A%2F%2F***%40h2%2Fs HTTP/1.1"));

    NGX_RTC_CHECK(test_redacted("src=rtsp://user:secret@h/s&src=rtsp://h/",
                                "src=rtsp://***@h/s&src=rtsp://h/"));

    /* an "@" after the authority is not user information */

    NGX_RTC_CHECK(test_redacted("src=rtsp://h/a@b", "src=rtsp://h/a@b"));
    NGX_RTC_CHECK(test_redacted("src=rtsp%3a%2f%2fh%2fa%40b",
                                "src=rtsp%3a%2f%2fh%2fa%40b"));

    /* the last "@" ends it ("p@ss" unencoded); short ones never grow */

    NGX_RTC_CHECK(test_redacted("src=rtsp://u:p@ss@h/", "src=rtsp://***@h/"));
    NGX_RTC_CHECK(test_redacted("src=rtsp://a@h/", "src=rtsp://*@h/"));
    NGX_RTC_CHECK(test_redacted("src=rtsp://@h/", "src=rtsp://@h/"));
    NGX_RTC_CHECK(test_redacted("src=rtsp://u:p@", "src=rtsp://***@"));

    /* the parser's authority: up to the first "/", a "?" in a password */

    NGX_RTC_CHECK(test_redacted(
        "src=rtsp://admin:pa%3Fss@127.0.0.1:19110/cam",
        "src=rtsp://***@127.0.0.1:19110/cam"));
    NGX_RTC_CHECK(test_redacted("src=rtsp://admin:pa?ss@h/cam&name=x",
                                "src=rtsp://***@h/cam&name=x"));
    NGX_RTC_CHECK(test_redacted(
        "PUT /api/streams?name=t&src=rtsp://u:p%3Fw@h HTTP/1.1",
        "PUT /api/streams?name=t&src=rtsp://***@h HTTP/1.1"));

    /* secrets in the camera URL's path and query, raw or encoded */

    NGX_RTC_CHECK(test_redacted(
        "name=t&src=rtsp%3A%2F%2F127.0.0.1%3A19110%2Fcam%3Fuser%3Dadmin"
        "%26password%3Dtopsecret",
        "name=t&src=rtsp%3A%2F%2F127.0.0.1%3A19110%2Fcam%3Fuser%3D***"
        "%26password%3D***"));
    NGX_RTC_CHECK(test_redacted("src=rtsp://h/user=admin_pwd=x/s?pwd=ab;a=1",
                                "src=rtsp://h/user=***/s?pwd=**;a=1"));
    NGX_RTC_CHECK(test_redacted("src=rtsp://h/s?mypwd=1&pwd=&token%3d9%23",
                                "src=rtsp://h/s?mypwd=1&pwd=&token%3d*%23"));

    NGX_RTC_CHECK(test_redacted("GET /api/streams HTTP/1.1",
                                "GET /api/streams HTTP/1.1"));
    NGX_RTC_CHECK(test_redacted("", ""));
}


int
main(void)
{
    test_home_assistant();
    test_refused();
    test_redact();

    return NGX_RTC_UNIT_DONE();
}
