/*
 * Copyright (C) nginx-rtc authors
 *
 * A trickle ICE / ICE restart body (RFC 8840 application/trickle-ice-
 * sdpfrag, WHEP PATCH): ngx_rtc_sdp_parse_frag(), no v= line required.
 * The candidates and credentials it finds must point into the body; the
 * m= media and proto and the a=mid an ICE restart's answer echoes are
 * tokens (RFC 8866, 9).
 *
 * fuzz-deps: src/ngx_rtc_sdp.c
 */

#include "ngx_rtc_fuzz.h"
#include "ngx_rtc_sdp.h"


static ngx_rtc_sdp_t  frag;


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char               *in, *end;
    ngx_uint_t            i, k;
    ngx_rtc_sdp_media_t  *m;

    in = ngx_rtc_fuzz_copy(data, size);
    end = in + size;

    if (ngx_rtc_sdp_parse_frag(in, end, &frag) != NGX_OK) {
        NGX_RTC_FUZZ_ASSERT(frag.err != NULL);
        free(in);
        return 0;
    }

    NGX_RTC_FUZZ_ASSERT(frag.nmedia <= NGX_RTC_SDP_MAX_MEDIA);
    NGX_RTC_FUZZ_INSIDE(&frag.ice_ufrag, in, end);
    NGX_RTC_FUZZ_INSIDE(&frag.ice_pwd, in, end);

    for (i = 0; i < frag.nmedia; i++) {
        m = &frag.media[i];

        NGX_RTC_FUZZ_ASSERT(m->ncands <= NGX_RTC_SDP_MAX_CAND);
        NGX_RTC_FUZZ_INSIDE(&m->mid, in, end);

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
        NGX_RTC_FUZZ_INSIDE(&m->ice_ufrag, in, end);
        NGX_RTC_FUZZ_INSIDE(&m->ice_pwd, in, end);

        for (k = 0; k < m->ncands; k++) {
            NGX_RTC_FUZZ_INSIDE(&m->cands[k], in, end);
        }
    }

    free(in);

    return 0;
}
