/*
 * Copyright (C) nginx-rtc authors
 *
 * The SDP offer of a WHEP POST body (anyone who can reach the endpoint
 * sends it), and the DESCRIBE body of a camera: ngx_rtc_sdp_parse(), the
 * fmtp lookups the codec choice makes, then the answer written the way
 * ngx_rtc_session.c writes it, with the values echoed from the offer, into
 * a 16 KB buffer as the session does.  A written answer must parse again.
 *
 * fuzz-deps: src/ngx_rtc_sdp.c
 */

#include "ngx_rtc_fuzz.h"
#include "ngx_rtc_sdp.h"


#define NGX_RTC_FUZZ_ANSWER  16384


static ngx_rtc_sdp_t         offer;
static ngx_rtc_sdp_t         again;
static ngx_rtc_sdp_answer_t  answer;


static void
ngx_rtc_fuzz_sdp_check(ngx_rtc_sdp_t *sdp, u_char *start, u_char *end)
{
    ngx_uint_t            i, k;
    ngx_rtc_sdp_fmt_t    *f;
    ngx_rtc_sdp_media_t  *m;

    NGX_RTC_FUZZ_ASSERT(sdp->nmedia <= NGX_RTC_SDP_MAX_MEDIA);

    NGX_RTC_FUZZ_INSIDE(&sdp->ice_ufrag, start, end);
    NGX_RTC_FUZZ_INSIDE(&sdp->ice_pwd, start, end);
    NGX_RTC_FUZZ_INSIDE(&sdp->fp_alg, start, end);
    NGX_RTC_FUZZ_INSIDE(&sdp->fp_value, start, end);
    NGX_RTC_FUZZ_INSIDE(&sdp->setup, start, end);
    NGX_RTC_FUZZ_INSIDE(&sdp->bundle, start, end);
    NGX_RTC_FUZZ_INSIDE(&sdp->control, start, end);

    for (i = 0; i < sdp->nmedia; i++) {
        m = &sdp->media[i];

        NGX_RTC_FUZZ_ASSERT(m->nfmts <= NGX_RTC_SDP_MAX_FMT);
        NGX_RTC_FUZZ_ASSERT(m->ncands <= NGX_RTC_SDP_MAX_CAND);
        NGX_RTC_FUZZ_ASSERT(m->port <= 65535);
        NGX_RTC_FUZZ_ASSERT(m->direction <= NGX_RTC_SDP_INACTIVE);

        NGX_RTC_FUZZ_INSIDE(&m->type, start, end);
        NGX_RTC_FUZZ_INSIDE(&m->proto, start, end);
        NGX_RTC_FUZZ_INSIDE(&m->mid, start, end);
        NGX_RTC_FUZZ_INSIDE(&m->control, start, end);
        NGX_RTC_FUZZ_INSIDE(&m->ice_ufrag, start, end);
        NGX_RTC_FUZZ_INSIDE(&m->ice_pwd, start, end);
        NGX_RTC_FUZZ_INSIDE(&m->fp_alg, start, end);
        NGX_RTC_FUZZ_INSIDE(&m->fp_value, start, end);
        NGX_RTC_FUZZ_INSIDE(&m->setup, start, end);

        for (k = 0; k < m->nfmts; k++) {
            f = &m->fmts[k];

            NGX_RTC_FUZZ_ASSERT(f->pt <= 127 || f->pt == NGX_RTC_SDP_PT_NONE);
            NGX_RTC_FUZZ_INSIDE(&f->name, start, end);
            NGX_RTC_FUZZ_INSIDE(&f->fmtp, start, end);
        }

        for (k = 0; k < m->ncands; k++) {
            NGX_RTC_FUZZ_INSIDE(&m->cands[k], start, end);
        }
    }
}


/* the lookups ngx_rtc_session.c and ngx_rtc_rtsp.c make on a format */

static void
ngx_rtc_fuzz_sdp_fmtp(ngx_rtc_sdp_fmt_t *f)
{
    ngx_str_t    v;
    ngx_uint_t   i;

    static const char  *names[] = {
        "packetization-mode", "profile-level-id", "sprop-parameter-sets",
        "sprop-vps", "sprop-sps", "sprop-pps", "sprop-max-don-diff", "",
        NULL
    };

    for (i = 0; names[i]; i++) {
        if (ngx_rtc_sdp_fmtp_param(&f->fmtp, names[i], &v) == NGX_OK) {
            NGX_RTC_FUZZ_ASSERT(v.len <= f->fmtp.len);
            NGX_RTC_FUZZ_INSIDE(&v, f->fmtp.data, f->fmtp.data + f->fmtp.len);
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                      *in, *buf, *p;
    ngx_uint_t                   i;
    ngx_rtc_sdp_fmt_t           *f;
    ngx_rtc_sdp_media_t         *m;
    ngx_rtc_sdp_answer_media_t  *am;

    static ngx_str_t  cand = ngx_string(
        "candidate:1 1 UDP 2015363327 10.99.0.1 47158 typ host");

    in = ngx_rtc_fuzz_copy(data, size);

    if (ngx_rtc_sdp_parse(in, in + size, &offer) != NGX_OK) {
        NGX_RTC_FUZZ_ASSERT(offer.err != NULL);
        free(in);
        return 0;
    }

    ngx_rtc_fuzz_sdp_check(&offer, in, in + size);

    /* the answer, as ngx_rtc_session_negotiate() fills it */

    ngx_memzero(&answer, sizeof(ngx_rtc_sdp_answer_t));

    answer.session_id = 0x7fffffffffffffffULL;
    ngx_str_set(&answer.ice_ufrag, "abcd");
    ngx_str_set(&answer.ice_pwd, "0123456789abcdef01234567");
    ngx_str_set(&answer.fingerprint,
                "sha-256 8F:4E:0D:5B:35:91:C1:6E:93:C5:42:65:23:4F:D2:49:"
                "1C:3E:60:A1:21:7B:73:D2:F8:E5:88:5E:48:7D:C4:1A");
    ngx_str_set(&answer.cname, "nginx-rtc");
    ngx_str_set(&answer.msid, "cam");
    answer.ncands = 1;
    answer.cands[0] = cand;

    for (i = 0; i < offer.nmedia; i++) {
        m = &offer.media[i];
        am = &answer.media[i];

        (void) ngx_rtc_sdp_find_fmt(m, 96);
        (void) ngx_rtc_sdp_find_fmt(m, NGX_RTC_SDP_PT_NONE);

        am->type = m->type;
        am->proto = m->proto;
        am->mid = m->mid;
        am->rejected = 1;
        am->pt = m->nfmts ? m->fmts[0].pt : 0;
        am->ssrc = 0x12345678;

        if (m->nfmts && m->fmts[0].pt == NGX_RTC_SDP_PT_NONE) {
            am->codec = m->fmts[0].name;
        }

        if (m->nfmts == 0) {
            continue;
        }

        /* the first section with a format accepts its last format */

        f = &m->fmts[m->nfmts - 1];
        ngx_rtc_fuzz_sdp_fmtp(f);

        if (i == 0 && f->pt != NGX_RTC_SDP_PT_NONE) {
            am->rejected = 0;
            am->pt = f->pt;
            am->codec = f->name;
            am->clock = f->clock;
            am->channels = f->channels;
            am->fmtp = f->fmtp;
            am->rtcp_fb = f->rtcp_fb;
        }
    }

    answer.nmedia = offer.nmedia;

    buf = malloc(NGX_RTC_FUZZ_ANSWER);
    if (buf == NULL) {
        abort();
    }

    p = ngx_rtc_sdp_write_answer(buf, buf + NGX_RTC_FUZZ_ANSWER, &answer);

    if (p != NULL) {
        NGX_RTC_FUZZ_ASSERT(p > buf && p < buf + NGX_RTC_FUZZ_ANSWER);

        /* what we answer must itself be SDP we can read */

        if (ngx_rtc_sdp_parse(buf, p, &again) != NGX_OK) {
            fprintf(stderr, "answer does not parse: %s at line %lu\n%.*s\n",
                    again.err, (unsigned long) again.err_line,
                    (int) (p - buf), buf);
            abort();
        }

        NGX_RTC_FUZZ_ASSERT(again.nmedia == offer.nmedia);
    }

    free(buf);
    free(in);

    return 0;
}
