/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>

#include <ngx_rtc.h>
#include <ngx_rtc_rtsp.h>
#include <ngx_rtc_rtsp_media.h>


/*
 * The RTSP client's answer to DESCRIBE: the SDP and the choice of its
 * video and audio tracks, redirects (3xx), and the SDP of a camera that
 * sends it without Content-Length.
 */


#define NGX_RTC_RTSP_REDIRECTS        3       /* hops per attempt */


static ngx_int_t ngx_rtc_rtsp_redirect(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_redirect_addr(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_url_t *u, ngx_sockaddr_t *sa, socklen_t *socklen);
static ngx_uint_t ngx_rtc_rtsp_is_media(ngx_rtc_sdp_media_t *media,
    const char *type);


ngx_int_t
ngx_rtc_rtsp_describe_done(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    ngx_str_t             base;
    ngx_uint_t            i, pass;
    ngx_rtc_sdp_t        *sdp;
    ngx_rtc_sdp_fmt_t    *fmt;
    ngx_rtc_sdp_media_t  *media, *video, *audio;

    switch (m->status) {

    case 200:
        break;

    case 301:
    case 302:
    case 303:
    case 307:
    case 308:
        return ngx_rtc_rtsp_redirect(rtsp, m);

    default:
        return ngx_rtc_rtsp_status_error(rtsp, m, "DESCRIBE");
    }

    if (m->body.len == 0 && ngx_rtc_rtsp_parse_sdp_unframed(m)) {

        /*
         * live555-based firmware that sends the SDP without
         * Content-Length: as live555's client, take what follows, until
         * the camera has sent nothing for NGX_RTC_RTSP_SDP_QUIET ms (it
         * sends nothing else before our SETUP); ngx_rtc_rtsp_sdp_body()
         */

        if (!rtsp->sdp_logged) {
            rtsp->sdp_logged = 1;

            ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                          "rtc rtsp %V: DESCRIBE answered without "
                          "Content-Length, the SDP is what follows until "
                          "%d ms without data (logged once)",
                          &rtsp->url.redacted, NGX_RTC_RTSP_SDP_QUIET);
        }

        rtsp->sdp_wait = 1;
        rtsp->sdp_header = m->size;

        return NGX_OK;
    }

    if (m->body.len == 0) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "DESCRIBE of %V returned no SDP",
                                 &rtsp->url.redacted);
    }

    /* RFC 2326 C.1.1: the base for relative control URLs */

    if (m->content_base.len) {
        base = m->content_base;

    } else if (m->content_location.len) {
        base = m->content_location;

    } else {
        base = rtsp->url.uri;
    }

    sdp = rtsp->sdp;

    if (ngx_rtc_sdp_parse(m->body.data, m->body.data + m->body.len, sdp)
        != NGX_OK)
    {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "invalid SDP from %V: %s",
                                 &rtsp->url.redacted,
                                 sdp->err ? sdp->err : "unknown error");
    }

    if (ngx_rtc_rtsp_resolve_url(&base, &sdp->control, rtsp->play_buf,
                                 NGX_RTC_URL_MAX, &rtsp->play_url)
        != NGX_OK)
    {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "invalid control URL in the SDP of %V",
                                 &rtsp->url.redacted);
    }

    /*
     * The video: the first m=video of H.264 or H.265 (a camera may list
     * MJPEG first), else the first m=video.  The audio: the first m=audio
     * we can carry of those the camera sends.  ONVIF marks the backchannel,
     * the audio a client sends to the camera, a=sendonly in the camera's
     * SDP, and the camera's own audio a=recvonly (ONVIF Streaming
     * Specification, 5.3 "Back channel connection"); an a=sendonly m=audio
     * is taken only when there is no other, as a camera may mean it the
     * way RFC 3264 6.1 does.
     */

    video = NULL;
    audio = NULL;
    rtsp->ntracks = 0;

    for (i = 0; i < sdp->nmedia; i++) {
        media = &sdp->media[i];

        if (media->nfmts == 0 || !ngx_rtc_rtsp_is_media(media, "video")) {
            continue;
        }

        if (video == NULL) {
            video = media;
        }

        if (ngx_rtc_rtsp_media_video_codec(media, &fmt)
            != NGX_RTC_CODEC_NONE)
        {
            video = media;
            break;
        }
    }

    for (pass = 0;
         pass < 2 && audio == NULL && rtsp->conf.audio != NGX_RTC_AUDIO_OFF;
         pass++)
    {
        for (i = 0; i < sdp->nmedia; i++) {
            media = &sdp->media[i];

            if (media->nfmts == 0
                || !ngx_rtc_rtsp_is_media(media, "audio")
                || (media->direction == NGX_RTC_SDP_SENDONLY) != pass)
            {
                continue;
            }

            if (ngx_rtc_rtsp_media_audio(rtsp, &base, media) == NGX_OK) {
                audio = media;
                break;
            }
        }
    }

    for (i = 0; i < sdp->nmedia; i++) {
        media = &sdp->media[i];

        if (media == video || media == audio) {
            continue;
        }

        if (media->nfmts && ngx_rtc_rtsp_is_media(media, "audio")) {
            if (rtsp->conf.audio == NGX_RTC_AUDIO_OFF) {
                ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                              "rtc rtsp %V: skipping audio track %ui: "
                              "audio=off", &rtsp->url.redacted, i);
                continue;
            }

            if (media->direction == NGX_RTC_SDP_SENDONLY) {
                ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                              "rtc rtsp %V: skipping audio track %ui (%V): "
                              "a=sendonly, a backchannel",
                              &rtsp->url.redacted, i, &media->fmts[0].name);
                continue;
            }
        }

        ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                      "rtc rtsp %V: skipping %V track %ui (%V)",
                      &rtsp->url.redacted, &media->type, i,
                      media->nfmts ? &media->fmts[0].name : &media->type);
    }

    if (video == NULL) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "no video track in the SDP of %V",
                                 &rtsp->url.redacted);
    }

    if (ngx_rtc_rtsp_media_video(rtsp, &base, video) != NGX_OK) {
        return NGX_ERROR;
    }

    rtsp->ntracks = audio ? 2 : 1;

    if (audio == NULL) {
        rtsp->conf.codec(rtsp->conf.data, NGX_RTC_TRACK_AUDIO,
                         NGX_RTC_CODEC_NONE, 0, 0);
    }

    rtsp->setup = NGX_RTC_RTSP_VIDEO;
    rtsp->step = ngx_rtc_rtsp_step_setup;

    return ngx_rtc_rtsp_setup(rtsp);
}


/*
 * The SDP of a DESCRIBE answer without Content-Length: the bytes after its
 * header, which stayed at rpos, once the camera has been quiet.
 */

ngx_int_t
ngx_rtc_rtsp_sdp_body(ngx_rtc_rtsp_t *rtsp)
{
    ngx_rtc_rtsp_msg_t  m;

    rtsp->sdp_wait = 0;

    /* the same header as before: the parse does not look past it */

    if (ngx_rtc_rtsp_parse(rtsp->rpos, rtsp->rlast, &m) != NGX_OK
        || m.size != rtsp->sdp_header)
    {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT,
                                 "DESCRIBE answer of %V lost",
                                 &rtsp->url.redacted);
    }

    m.body.data = rtsp->rpos + m.size;
    m.body.len = rtsp->rlast - m.body.data;

    rtsp->rpos = rtsp->rlast;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp SDP without length: %uz bytes", m.body.len);

    return ngx_rtc_rtsp_describe_done(rtsp, &m);
}


/*
 * A 3xx answer to DESCRIBE (NVRs sending each channel to another port or
 * path, cameras moved to another address): a new connection to the
 * Location, NGX_RTC_RTSP_REDIRECTS hops at most in an attempt; the next
 * attempt starts again from the configured URL.  Where the credentials
 * go is ngx_rtc_rtsp_redirect_url()'s rule.  A host name is resolved as
 * the configured one is: with the http block's resolver; without one,
 * only the configured host's own name is known (its address from the
 * configuration), any other needs the resolver.  NGX_DONE: this
 * connection is closed, the next one under way.
 */

static ngx_int_t
ngx_rtc_rtsp_redirect(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    u_char          buf[NGX_RTC_URL_MAX];
    ngx_int_t       rc;
    ngx_str_t       url;
    socklen_t       socklen;
    const char     *err;
    ngx_rtc_url_t  *u;
    ngx_sockaddr_t  sa;

    if (rtsp->redirects == NGX_RTC_RTSP_REDIRECTS) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "%ui %V from %V (DESCRIBE): more than %d "
                                 "redirects", m->status, &m->reason,
                                 &rtsp->url.redacted,
                                 NGX_RTC_RTSP_REDIRECTS);
    }

    if (rtsp->location == NULL) {
        rtsp->location = ngx_palloc(rtsp->pool, sizeof(ngx_rtc_url_t));
        if (rtsp->location == NULL) {
            return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT, "out of memory");
        }
    }

    u = rtsp->location;

    ngx_str_null(&url);

    if (ngx_rtc_rtsp_redirect_url(&rtsp->url.uri, &rtsp->conf.url,
                                  &m->location, buf, sizeof(buf), &url, &err)
        != NGX_OK)
    {
        /* another host: where, for the administrator to configure it */

        if (url.len && ngx_rtc_auth_parse_url(&url, u) == NGX_OK) {
            ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                          "rtc rtsp %V redirects to %V (%ui %V), another "
                          "host: not followed", &rtsp->url.redacted,
                          &u->redacted, m->status, &m->reason);
        }

        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "%ui %V from %V (DESCRIBE) not followed: %s",
                                 m->status, &m->reason, &rtsp->url.redacted,
                                 err);
    }

    if (ngx_rtc_auth_parse_url(&url, u) != NGX_OK) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "%ui %V from %V (DESCRIBE) not followed: "
                                 "invalid Location", m->status, &m->reason,
                                 &rtsp->url.redacted);
    }

    if (u->tls && ngx_rtc_rtsp_ssl_ctx() == NULL) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "%V redirects to %V: no TLS context, "
                                 "as no rtc_stream is rtsps://",
                                 &rtsp->url.redacted, &u->redacted);
    }

    rc = ngx_rtc_rtsp_redirect_addr(rtsp, u, &sa, &socklen);

    if (rc == NGX_DECLINED) {
        /* a name other than the configured host's */

        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "redirect from %V to %V needs a "
                                 "\"resolver\" in the http block",
                                 &rtsp->url.redacted, &u->redacted);
    }

    rtsp->redirects++;

    ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                  "rtc rtsp %V redirects to %V (%ui %V, %ui of %d)",
                  &rtsp->url.redacted, &u->redacted, m->status, &m->reason,
                  rtsp->redirects, NGX_RTC_RTSP_REDIRECTS);

    /* no session yet: nothing to tear down */

    ngx_rtc_rtsp_close(rtsp, 0);

    (void) ngx_rtc_auth_parse_url(&url, &rtsp->url);

    if (rc == NGX_OK) {
        ngx_memcpy(&rtsp->sockaddr, &sa, socklen);
        rtsp->socklen = socklen;

        ngx_rtc_rtsp_connect_peer(rtsp);
        return NGX_DONE;
    }

    /* NGX_AGAIN: ngx_rtc_rtsp_resolve_handler() goes on */

    if (ngx_rtc_rtsp_resolve(rtsp) != NGX_OK) {
        ngx_rtc_rtsp_retry_later(rtsp);
    }

    return NGX_DONE;
}


/*
 * The address of a redirect's host: an IP address as is (NGX_OK); with
 * a resolver, a name to resolve (NGX_AGAIN); without, the configured
 * host's own name as resolved at configuration time (NGX_OK), any other
 * name NGX_DECLINED.
 */

static ngx_int_t
ngx_rtc_rtsp_redirect_addr(ngx_rtc_rtsp_t *rtsp, ngx_rtc_url_t *u,
    ngx_sockaddr_t *sa, socklen_t *socklen)
{
    in_addr_t  in;
    ngx_str_t  host;

    host = u->host;

    ngx_memzero(sa, sizeof(ngx_sockaddr_t));

    if (host.len > 2 && host.data[0] == '[') {
#if (NGX_HAVE_INET6)
        if (ngx_inet6_addr(host.data + 1, host.len - 2,
                           sa->sockaddr_in6.sin6_addr.s6_addr)
            == NGX_OK)
        {
            sa->sockaddr_in6.sin6_family = AF_INET6;
            sa->sockaddr_in6.sin6_port = htons(u->port);
            *socklen = sizeof(struct sockaddr_in6);
            return NGX_OK;
        }
#endif

        return NGX_DECLINED;
    }

    in = ngx_inet_addr(host.data, host.len);

    if (in != INADDR_NONE) {
        sa->sockaddr_in.sin_family = AF_INET;
        sa->sockaddr_in.sin_addr.s_addr = in;
        sa->sockaddr_in.sin_port = htons(u->port);
        *socklen = sizeof(struct sockaddr_in);
        return NGX_OK;
    }

    if (rtsp->conf.resolver) {
        return NGX_AGAIN;
    }

    /* the name of the configured URL: its address, the Location's port */

    if (rtsp->conf.addr
        && rtsp->conf.addr->socklen <= sizeof(ngx_sockaddr_t)
        && ngx_rtc_rtsp_same_host(&u->uri, &rtsp->conf.url))
    {
        ngx_memcpy(sa, rtsp->conf.addr->sockaddr, rtsp->conf.addr->socklen);
        *socklen = rtsp->conf.addr->socklen;
        ngx_inet_set_port(&sa->sockaddr, u->port);
        return NGX_OK;
    }

    return NGX_DECLINED;
}


static ngx_uint_t
ngx_rtc_rtsp_is_media(ngx_rtc_sdp_media_t *media, const char *type)
{
    return media->type.len == 5
           && ngx_strncasecmp(media->type.data, (u_char *) type, 5) == 0;
}
