/*
 * Copyright (C) nginx-rtc authors
 *
 * Camera URL parsing, credential redaction, Basic and Digest.
 * Digest vectors: RFC 2069 2.4 and RFC 2617 3.5 (Mufasa), RFC 7616 3.9.1
 * (MD5 and SHA-256).
 */

/* unit-deps: src/ngx_rtc_auth.c */
/* unit-libs: -lcrypto */

#include "ngx_rtc_unit.h"
#include "ngx_rtc_auth.h"


#define EQ(str, lit)                                                          \
    ((str).len == sizeof(lit) - 1                                             \
     && ngx_memcmp((str).data, lit, sizeof(lit) - 1) == 0)

#define HAS(str, lit)                                                         \
    (ngx_strlcasestrn((str).data, (str).data + (str).len, (u_char *) lit,     \
                      sizeof(lit) - 2) != NULL)


static ngx_rtc_url_t  u;


static ngx_int_t
parse(const char *s)
{
    ngx_str_t  url;

    url.data = (u_char *) s;
    url.len = ngx_strlen(s);

    return ngx_rtc_auth_parse_url(&url, &u);
}


static void
test_url(void)
{
    NGX_RTC_CHECK(parse("rtsp://127.0.0.1:8554/cam") == NGX_OK);
    NGX_RTC_CHECK(!u.tls && u.port == 8554 && u.user.len == 0);
    NGX_RTC_CHECK(EQ(u.scheme, "rtsp") && EQ(u.host, "127.0.0.1"));
    NGX_RTC_CHECK(EQ(u.path, "/cam") && EQ(u.hostport, "127.0.0.1:8554"));
    NGX_RTC_CHECK(EQ(u.uri, "rtsp://127.0.0.1:8554/cam"));
    NGX_RTC_CHECK(EQ(u.redacted, "rtsp://127.0.0.1:8554/cam"));

    /* percent-encoded credentials: "p@ss:w/rd" */
    NGX_RTC_CHECK(parse("rtsp://us%65r:p%40ss%3Aw%2Frd@10.0.0.20/Streaming/"
                        "Channels/101?transportmode=unicast") == NGX_OK);
    NGX_RTC_CHECK(EQ(u.user, "user") && EQ(u.password, "p@ss:w/rd"));
    NGX_RTC_CHECK(u.port == 554 && EQ(u.hostport, "10.0.0.20:554"));
    NGX_RTC_CHECK(EQ(u.path, "/Streaming/Channels/101?transportmode=unicast"));
    NGX_RTC_CHECK(EQ(u.uri, "rtsp://10.0.0.20/Streaming/Channels/101"
                            "?transportmode=unicast"));
    NGX_RTC_CHECK(EQ(u.redacted, "rtsp://***@10.0.0.20:554/Streaming/"
                                 "Channels/101?transportmode=unicast"));
    NGX_RTC_CHECK(!HAS(u.redacted, "p@ss") && !HAS(u.uri, "p%40ss"));

    /* an unencoded "@" and ":" in the password: the last "@" counts */
    NGX_RTC_CHECK(parse("RTSP://admin:p@ss:1@cam.lan:10554") == NGX_OK);
    NGX_RTC_CHECK(EQ(u.user, "admin") && EQ(u.password, "p@ss:1"));
    NGX_RTC_CHECK(EQ(u.host, "cam.lan") && u.port == 10554);
    NGX_RTC_CHECK(EQ(u.path, "/") && EQ(u.uri, "rtsp://cam.lan:10554/"));
    NGX_RTC_CHECK(EQ(u.redacted, "rtsp://***@cam.lan:10554/"));

    /* user only, empty password */
    NGX_RTC_CHECK(parse("rtsp://admin@cam/live") == NGX_OK);
    NGX_RTC_CHECK(EQ(u.user, "admin") && u.password.len == 0);
    NGX_RTC_CHECK(EQ(u.redacted, "rtsp://***@cam:554/live"));

    /* rtsps default port, IPv6 literal, query without a path */
    NGX_RTC_CHECK(parse("rtsps://[fe80::1]?x=1") == NGX_OK);
    NGX_RTC_CHECK(u.tls && u.port == 322 && EQ(u.host, "[fe80::1]"));
    NGX_RTC_CHECK(EQ(u.path, "/?x=1") && EQ(u.uri, "rtsps://[fe80::1]/?x=1"));
    NGX_RTC_CHECK(EQ(u.hostport, "[fe80::1]:322"));

    /* whep:// and wheps:// (ngx_rtc_whep_source.c): ports 80 and 443 */
    NGX_RTC_CHECK(parse("whep://tok%2Fen@origin:8080/whep/cam") == NGX_OK);
    NGX_RTC_CHECK(!u.tls && u.port == 8080 && EQ(u.user, "tok/en"));
    NGX_RTC_CHECK(EQ(u.path, "/whep/cam")
                  && EQ(u.redacted, "whep://***@origin:8080/whep/cam"));
    NGX_RTC_CHECK(parse("WHEPS://x:secret@cdn.example/w") == NGX_OK);
    NGX_RTC_CHECK(u.tls && u.port == 443 && EQ(u.password, "secret"));
    NGX_RTC_CHECK(EQ(u.hostport, "cdn.example:443") && !HAS(u.redacted,
                                                             "secret"));

    NGX_RTC_CHECK(parse("rtsp://[::1]:8554/a#frag") == NGX_OK);
    NGX_RTC_CHECK(EQ(u.uri, "rtsp://[::1]:8554/a") && EQ(u.path, "/a"));

    /* credentials in the path or query are redacted too */
    NGX_RTC_CHECK(parse("rtsp://10.0.0.3:554/user=admin_password=tlJwpbo6_"
                        "channel=1_stream=0.sdp?real_stream") == NGX_OK);
    NGX_RTC_CHECK(EQ(u.redacted, "rtsp://10.0.0.3:554/user=***?real_stream"));
    NGX_RTC_CHECK(parse("rtsp://cam/live?channel=1&PWD=secret&user=x;a=b")
                  == NGX_OK);
    NGX_RTC_CHECK(EQ(u.redacted,
                     "rtsp://cam:554/live?channel=1&PWD=***&user=***;a=b"));
    NGX_RTC_CHECK(EQ(u.uri, "rtsp://cam/live?channel=1&PWD=secret&user=x;a=b"));

    /* refused */
    NGX_RTC_CHECK(parse("http://cam/x") == NGX_ERROR);
    NGX_RTC_CHECK(parse("rtsp://") == NGX_ERROR);
    NGX_RTC_CHECK(parse("rtsp:///path") == NGX_ERROR);
    NGX_RTC_CHECK(parse("rtsp://user:pw@/path") == NGX_ERROR);
    NGX_RTC_CHECK(parse("rtsp://cam:0/") == NGX_ERROR);
    NGX_RTC_CHECK(parse("rtsp://cam:65536/") == NGX_ERROR);
    NGX_RTC_CHECK(parse("rtsp://cam:123456/") == NGX_ERROR);
    NGX_RTC_CHECK(parse("rtsp://cam:80x/") == NGX_ERROR);
    NGX_RTC_CHECK(parse("rtsp://cam/a b") == NGX_ERROR);
    NGX_RTC_CHECK(parse("rtsp://cam/a\r\nX: y") == NGX_ERROR);
    NGX_RTC_CHECK(parse("rtsp://u:p%4@cam/") == NGX_ERROR);
    NGX_RTC_CHECK(parse("rtsp://u:p%zz@cam/") == NGX_ERROR);
    NGX_RTC_CHECK(parse("rtsp://u%0d%0aX:p@cam/") == NGX_ERROR);
    NGX_RTC_CHECK(parse("rtsp://[::1/") == NGX_ERROR);
    NGX_RTC_CHECK(parse("rtsp://c$m/") == NGX_ERROR);
}


static void
test_basic(void)
{
    u_char     buf[128];
    ngx_str_t  out;

    /* RFC 7617 2: Aladdin / open sesame */
    NGX_RTC_CHECK(parse("rtsp://Aladdin:open%20sesame@cam/") == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_auth_basic(&u, buf, sizeof(buf), &out) == NGX_OK);
    NGX_RTC_CHECK(EQ(out, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));

    NGX_RTC_CHECK(ngx_rtc_auth_basic(&u, buf, 10, &out) == NGX_ERROR);

    /*
     * A user without a password: an empty password, not a NULL one for
     * ngx_sprintf("%V") (t/fuzz/corpus/auth_url/crash-50e5ca8f...)
     */
    NGX_RTC_CHECK(parse("rtsp://admin@cam/") == NGX_OK);
    NGX_RTC_CHECK(u.password.data != NULL && u.password.len == 0);
    NGX_RTC_CHECK(ngx_rtc_auth_basic(&u, buf, sizeof(buf), &out) == NGX_OK);
    NGX_RTC_CHECK(EQ(out, "Basic YWRtaW46"));
}


static void
test_digest(void)
{
    u_char                 buf[1024];
    ngx_str_t              ch, out, user, pass, method, uri;
    ngx_rtc_auth_digest_t  d;

    /* RFC 2617 3.5 */
    ngx_str_set(&ch, "realm=\"testrealm@host.com\",\r\n"
                     "                 qop=\"auth,auth-int\",\r\n"
                     "                 nonce=\"dcd98b7102dd2f0e8b11d0f600bfb"
                     "0c093\",\r\n"
                     "                 opaque=\"5ccc069c403ebaf9f0171e9517f40"
                     "e41\"");
    NGX_RTC_CHECK(ngx_rtc_auth_digest_parse(&ch, &d) == NGX_OK);
    NGX_RTC_CHECK(EQ(d.realm, "testrealm@host.com") && d.qop_auth);
    NGX_RTC_CHECK(EQ(d.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093"));
    NGX_RTC_CHECK(EQ(d.opaque, "5ccc069c403ebaf9f0171e9517f40e41"));
    NGX_RTC_CHECK(d.hash == NGX_RTC_AUTH_MD5 && !d.sess && !d.stale);

    ngx_str_set(&d.cnonce, "0a4f113b");
    ngx_str_set(&user, "Mufasa");
    ngx_str_set(&pass, "Circle Of Life");
    ngx_str_set(&method, "GET");
    ngx_str_set(&uri, "/dir/index.html");

    NGX_RTC_CHECK(ngx_rtc_auth_digest(&d, &user, &pass, &method, &uri, buf,
                                      sizeof(buf), &out)
                  == NGX_OK);
    NGX_RTC_CHECK(EQ(out, "Digest username=\"Mufasa\", "
                          "realm=\"testrealm@host.com\", "
                          "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
                          "uri=\"/dir/index.html\", "
                          "response=\"6629fae49393a05397450978507c4ef1\", "
                          "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", "
                          "qop=auth, nc=00000001, cnonce=\"0a4f113b\""));

    /* the next request with the same nonce counts up */
    NGX_RTC_CHECK(ngx_rtc_auth_digest(&d, &user, &pass, &method, &uri, buf,
                                      sizeof(buf), &out)
                  == NGX_OK);
    NGX_RTC_CHECK(HAS(out, "nc=00000002") && !HAS(out, "6629fae4"));

    NGX_RTC_CHECK(ngx_rtc_auth_digest(&d, &user, &pass, &method, &uri, buf,
                                      100, &out)
                  == NGX_ERROR);

    /* RFC 2069 2.4: no qop; Mufasa / CircleOfLife */
    ngx_str_set(&ch, "realm=\"testrealm@host.com\", "
                     "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
                     "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
    NGX_RTC_CHECK(ngx_rtc_auth_digest_parse(&ch, &d) == NGX_OK);
    NGX_RTC_CHECK(!d.qop_auth && d.cnonce.len == 0);

    ngx_str_set(&pass, "CircleOfLife");
    NGX_RTC_CHECK(ngx_rtc_auth_digest(&d, &user, &pass, &method, &uri, buf,
                                      sizeof(buf), &out)
                  == NGX_OK);
    NGX_RTC_CHECK(HAS(out, "response=\"1949323746fe6a43ef61f9606e7febea\""));
    NGX_RTC_CHECK(!HAS(out, "qop") && !HAS(out, "cnonce")
                  && !HAS(out, "algorithm"));

    /* RFC 7616 3.9.1, MD5 then SHA-256 */
    ngx_str_set(&ch, "realm=\"http-auth@example.org\", qop=\"auth, auth-int\","
                     " algorithm=MD5, "
                     "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
                     "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"");
    NGX_RTC_CHECK(ngx_rtc_auth_digest_parse(&ch, &d) == NGX_OK);
    NGX_RTC_CHECK(d.qop_auth && d.hash == NGX_RTC_AUTH_MD5);

    ngx_str_set(&d.cnonce, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
    ngx_str_set(&pass, "Circle of Life");

    NGX_RTC_CHECK(ngx_rtc_auth_digest(&d, &user, &pass, &method, &uri, buf,
                                      sizeof(buf), &out)
                  == NGX_OK);
    NGX_RTC_CHECK(HAS(out, "response=\"8ca523f5e9506fed4657c9700eebdbec\""));
    NGX_RTC_CHECK(HAS(out, ", algorithm=MD5,"));

    ngx_str_set(&ch, "realm=\"http-auth@example.org\", qop=\"auth, auth-int\","
                     " algorithm=SHA-256, "
                     "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
                     "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"");
    NGX_RTC_CHECK(ngx_rtc_auth_digest_parse(&ch, &d) == NGX_OK);
    NGX_RTC_CHECK(d.hash == NGX_RTC_AUTH_SHA256);

    ngx_str_set(&d.cnonce, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");

    NGX_RTC_CHECK(ngx_rtc_auth_digest(&d, &user, &pass, &method, &uri, buf,
                                      sizeof(buf), &out)
                  == NGX_OK);
    NGX_RTC_CHECK(HAS(out, "response=\"753927fa0e85d155564e2e272a28d1802ca10"
                           "daf4496794697cf8db5856cb6c1\""));

    /* a generated cnonce; quotes in the user name escaped */
    ngx_str_set(&ch, "realm=\"IP Camera(12345)\", nonce=\"abc\", qop=auth, "
                     "stale=\"TRUE\"");
    NGX_RTC_CHECK(ngx_rtc_auth_digest_parse(&ch, &d) == NGX_OK);
    NGX_RTC_CHECK(d.stale && d.qop_auth && EQ(d.realm, "IP Camera(12345)"));

    ngx_str_set(&user, "a\"b");
    NGX_RTC_CHECK(ngx_rtc_auth_digest(&d, &user, &pass, &method, &uri, buf,
                                      sizeof(buf), &out)
                  == NGX_OK);
    NGX_RTC_CHECK(d.cnonce.len == 32 && HAS(out, "username=\"a\\\"b\""));

    /* refused or declined challenges */
    ngx_str_set(&ch, "realm=\"x\"");
    NGX_RTC_CHECK(ngx_rtc_auth_digest_parse(&ch, &d) == NGX_ERROR);
    ngx_str_set(&ch, "realm=\"x, nonce=\"y\"");
    NGX_RTC_CHECK(ngx_rtc_auth_digest_parse(&ch, &d) == NGX_ERROR);
    ngx_str_set(&ch, "nonce=\"y\", algorithm=SHA-512-256");
    NGX_RTC_CHECK(ngx_rtc_auth_digest_parse(&ch, &d) == NGX_DECLINED);
    ngx_str_set(&ch, "nonce");
    NGX_RTC_CHECK(ngx_rtc_auth_digest_parse(&ch, &d) == NGX_ERROR);
    ngx_str_set(&ch, "nonce=");
    NGX_RTC_CHECK(ngx_rtc_auth_digest_parse(&ch, &d) == NGX_OK);
    NGX_RTC_CHECK(d.nonce.len == 0);

    /*
     * Controls in the camera's values would be echoed into our
     * Authorization header (t/fuzz/corpus/auth_digest/crash-5f05f7a2...):
     * refused, but for HTAB; CR and LF end a token (a folded header).
     */
    ngx_str_set(&ch, "realm=\"a\x01" "b\", nonce=\"y\"");
    NGX_RTC_CHECK(ngx_rtc_auth_digest_parse(&ch, &d) == NGX_ERROR);
    ngx_str_set(&ch, "realm=\"a\r\nX: y\", nonce=\"y\"");
    NGX_RTC_CHECK(ngx_rtc_auth_digest_parse(&ch, &d) == NGX_ERROR);
    ngx_str_set(&ch, "nonce=a\x7f" "b");
    NGX_RTC_CHECK(ngx_rtc_auth_digest_parse(&ch, &d) == NGX_ERROR);
    ch.data = (u_char *) "nonce=\"a\0b\"";
    ch.len = sizeof("nonce=\"a\0b\"") - 1;
    NGX_RTC_CHECK(ngx_rtc_auth_digest_parse(&ch, &d) == NGX_ERROR);
    ngx_str_set(&ch, "realm=\"a\tb\", nonce=abc\r\n qop=auth");
    NGX_RTC_CHECK(ngx_rtc_auth_digest_parse(&ch, &d) == NGX_OK);
    NGX_RTC_CHECK(EQ(d.realm, "a\tb") && EQ(d.nonce, "abc") && d.qop_auth);
}


/* any URL's printable form (ffmpeg: inputs): the same rules */

static ngx_str_t
redact(const char *s)
{
    ngx_str_t      url, out;
    static u_char  buf[NGX_RTC_AUTH_REDACT_SIZE(256)];

    url.data = (u_char *) s;
    url.len = ngx_strlen(s);

    out.data = buf;
    out.len = ngx_rtc_auth_redact(&url, buf);

    return out;
}


static void
test_redact(void)
{
    NGX_RTC_CHECK(EQ(redact("ffmpeg:rtsp://admin:S3cret@cam/ch1"
                            "?user=admin&password=S"),
                     "ffmpeg:rtsp://***@cam/ch1?user=***&password=***"));
    NGX_RTC_CHECK(EQ(redact("rtmp://live.example/app?token=abc&x=1"),
                     "rtmp://live.example/app?token=***&x=1"));
    NGX_RTC_CHECK(EQ(redact("https://h:443/x?sign=1#frag"),
                     "https://h:443/x?sign=***#frag"));
    NGX_RTC_CHECK(EQ(redact("http://u@h/a@b"), "http://***@h/a@b"));

    /* the parser's authority: up to the first "/", its last "@" */
    NGX_RTC_CHECK(EQ(redact("rtsp://admin:pa?ss@h/x"), "rtsp://***@h/x"));
    NGX_RTC_CHECK(EQ(redact("rtsp://admin:pa#ss@h"), "rtsp://***@h"));
    NGX_RTC_CHECK(EQ(redact("http://h/?k=&key="), "http://h/?k=&key=***"));
    NGX_RTC_CHECK(EQ(redact("/srv/clip.mp4"), "/srv/clip.mp4"));
    NGX_RTC_CHECK(EQ(redact("file:/srv/pwd=x/a.mp4"),
                     "file:/srv/pwd=***/a.mp4"));

    /* the bound: every value empty and masked */
    NGX_RTC_CHECK(EQ(redact("?a&b=&pwd=&pwd=&pwd="),
                     "?a&b=&pwd=***&pwd=***&pwd=***"));
    NGX_RTC_CHECK(EQ(redact("pwd="), "pwd=***"));
    NGX_RTC_CHECK(EQ(redact(""), ""));
}


int
main(void)
{
    test_url();
    test_redact();
    test_basic();
    test_digest();

    return NGX_RTC_UNIT_DONE();
}
