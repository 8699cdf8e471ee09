/*
 * Copyright (C) nginx-rtc authors
 *
 * The SDP offer of a WHEP POST body (anyone who can reach the endpoint
 * sends it), and the DESCRIBE body of a camera: ngx_rtc_sdp_parse() (a
 * camera's) and ngx_rtc_sdp_parse_offer() (a WHEP client's), the fmtp
 * lookups, the codec choice (ngx_rtc_negotiate(), for a stream codec set
 * picked by the input's size), then the answer written the way
 * ngx_rtc_session.c writes it, with the values echoed from the offer, into
 * a 16 KB buffer as the session does.  A refusal is a 4xx with a reason;
 * an offer that ngx_rtc_sdp_parse_offer() took and ngx_rtc_negotiate()
 * accepted always gets its answer written (anything else would be a 500),
 * and a written answer must parse again.
 *
 * fuzz-deps: src/ngx_rtc_sdp.c src/ngx_rtc_negotiate.c
 */

#include "ngx_rtc_fuzz.h"
#include "ngx_rtc_sdp.h"
#include "ngx_rtc_frame.h"
#include "ngx_rtc_negotiate.h"


#define NGX_RTC_FUZZ_ANSWER  NGX_RTC_SDP_MAX_ANSWER


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


/* what ngx_rtc_sdp_parse_offer() promises of the values it returns */

static void
ngx_rtc_fuzz_sdp_strict(ngx_rtc_sdp_t *sdp)
{
    size_t                i;
    ngx_uint_t            k, n;
    ngx_rtc_sdp_media_t  *m;

    for (k = 0; k < sdp->nmedia; k++) {
        m = &sdp->media[k];

        NGX_RTC_FUZZ_ASSERT(ngx_rtc_sdp_is_token(&m->type, 0,
                                                 NGX_RTC_SDP_MAX_TOKEN)
                            == NGX_OK);
        NGX_RTC_FUZZ_ASSERT(ngx_rtc_sdp_is_token(&m->proto, 1,
                                                 NGX_RTC_SDP_MAX_TOKEN)
                            == NGX_OK);
        NGX_RTC_FUZZ_ASSERT(m->mid.len == 0
                            || ngx_rtc_sdp_is_token(&m->mid, 0,
                                                    NGX_RTC_SDP_MAX_MID)
                               == NGX_OK);

        for (n = 0; n < k; n++) {
            NGX_RTC_FUZZ_ASSERT(m->mid.len == 0
                                || m->mid.len != sdp->media[n].mid.len
                                || ngx_memcmp(m->mid.data,
                                              sdp->media[n].mid.data,
                                              m->mid.len) != 0);
        }

        NGX_RTC_FUZZ_ASSERT(m->ice_ufrag.len == 0
                            || (m->ice_ufrag.len >= 4
                                && m->ice_ufrag.len <= 256));
        NGX_RTC_FUZZ_ASSERT(m->ice_pwd.len == 0
                            || (m->ice_pwd.len >= 22
                                && m->ice_pwd.len <= 256));

        for (n = 0; n < m->nfmts; n++) {
            for (i = 0; i < m->fmts[n].fmtp.len; i++) {
                NGX_RTC_FUZZ_ASSERT(m->fmts[n].fmtp.data[i] >= 0x20
                                    || m->fmts[n].fmtp.data[i] == '\t');
            }
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
    u_char                    *in, *buf, *p, reason[512];
    ngx_uint_t                 i;
    ngx_rtc_negotiate_t        neg;
    ngx_rtc_negotiate_conf_t   nc;

    static ngx_str_t  cand = ngx_string(
        "candidate:1 1 UDP 2015363327 10.99.0.1 47158 typ host");

    static ngx_uint_t  audio[] = {
        NGX_RTC_CODEC_NONE, NGX_RTC_CODEC_PCMA, NGX_RTC_CODEC_PCMU,
        NGX_RTC_CODEC_OPUS
    };

    in = ngx_rtc_fuzz_copy(data, size);

    /* a camera's: what the RTSP client reads of it */

    if (ngx_rtc_sdp_parse(in, in + size, &offer) != NGX_OK) {
        NGX_RTC_FUZZ_ASSERT(offer.err != NULL);
        free(in);
        return 0;
    }

    ngx_rtc_fuzz_sdp_check(&offer, in, in + size);

    /* a WHEP client's: the rest */

    if (ngx_rtc_sdp_parse_offer(in, in + size, &offer) != NGX_OK) {
        NGX_RTC_FUZZ_ASSERT(offer.err != NULL);
        free(in);
        return 0;
    }

    ngx_rtc_fuzz_sdp_check(&offer, in, in + size);
    ngx_rtc_fuzz_sdp_strict(&offer);

    for (i = 0; i < offer.nmedia; i++) {
        (void) ngx_rtc_sdp_find_fmt(&offer.media[i], 96);

        if (offer.media[i].nfmts) {
            ngx_rtc_fuzz_sdp_fmtp(&offer.media[i].fmts[0]);
            ngx_rtc_fuzz_sdp_fmtp(
                &offer.media[i].fmts[offer.media[i].nfmts - 1]);
        }
    }

    /*
     * The stream's codecs, as ngx_rtc_session_create() passes them, from
     * the size: the offer's text decides the rest.
     */

    ngx_str_set(&nc.name, "cam");
    nc.video = (size & 1) ? NGX_RTC_CODEC_H265 : NGX_RTC_CODEC_H264;
    nc.profile = (nc.video == NGX_RTC_CODEC_H265 && (size & 2)) ? 1 : -1;
    nc.audio = audio[(size >> 2) & 3];

    ngx_memzero(&answer, sizeof(ngx_rtc_sdp_answer_t));

    if (ngx_rtc_negotiate(&nc, &offer, &answer, &neg, reason, sizeof(reason))
        != NGX_OK)
    {
        NGX_RTC_FUZZ_ASSERT(neg.status >= 400 && neg.status < 500);
        NGX_RTC_FUZZ_ASSERT(neg.reason.len > 0
                            && neg.reason.len <= sizeof(reason));
        free(in);
        return 0;
    }

    NGX_RTC_FUZZ_ASSERT(neg.video < offer.nmedia);
    NGX_RTC_FUZZ_ASSERT(neg.audio == NGX_RTC_NEGOTIATE_NONE
                        || neg.audio < offer.nmedia);
    NGX_RTC_FUZZ_ASSERT(answer.nmedia == offer.nmedia);

    /* the rest of the answer, as the session fills it */

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

    answer.media[neg.video].ssrc = 0x12345678;

    if (neg.audio != NGX_RTC_NEGOTIATE_NONE) {
        answer.media[neg.audio].ssrc = 0x23456789;
    }

    if (neg.rtx_pt != NGX_RTC_NEGOTIATE_NONE) {
        answer.media[neg.video].rtx_pt = neg.rtx_pt;
        answer.media[neg.video].rtx_ssrc = 0x3456789a;
    }

    buf = malloc(NGX_RTC_FUZZ_ANSWER);
    if (buf == NULL) {
        abort();
    }

    p = ngx_rtc_sdp_write_answer(buf, buf + NGX_RTC_FUZZ_ANSWER, &answer);

    /* an accepted offer that cannot be answered would be a 500 */

    NGX_RTC_FUZZ_ASSERT(p != NULL);
    NGX_RTC_FUZZ_ASSERT(p > buf && p < buf + NGX_RTC_FUZZ_ANSWER);

    /* what we answer must itself be SDP we can read */

    if (ngx_rtc_sdp_parse(buf, p, &again) != NGX_OK) {
        fprintf(stderr, "answer does not parse: %s at line %lu\n%.*s\n",
                again.err, (unsigned long) again.err_line,
                (int) (p - buf), buf);
        abort();
    }

    NGX_RTC_FUZZ_ASSERT(again.nmedia == offer.nmedia);

    free(buf);
    free(in);

    return 0;
}
