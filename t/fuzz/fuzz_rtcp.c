/*
 * Copyright (C) nginx-rtc authors
 *
 * A viewer's (S)RTCP after SRTP authentication: any browser, or anyone who
 * completed DTLS, sends it.  ngx_rtc_rtcp_parse() over a compound packet:
 * SR, RR, SDES, BYE, APP, RTPFB (NACK, TWCC), PSFB (PLI, FIR, REMB) in any
 * order and shape.  What it counts must stay within its arrays.
 *
 * fuzz-deps: src/ngx_rtc_rtp.c
 */

#include "ngx_rtc_fuzz.h"
#include "ngx_rtc_rtp.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char               *in;
    ngx_rtc_rtcp_info_t   info;

    in = ngx_rtc_fuzz_copy(data, size);

    if (ngx_rtc_rtp_is_rtcp(in, size) || (size && (data[0] & 1))) {
        ngx_memzero(&info, sizeof(ngx_rtc_rtcp_info_t));

        if (ngx_rtc_rtcp_parse(in, size, &info) == NGX_OK) {
            NGX_RTC_FUZZ_ASSERT(info.nnack <= NGX_RTC_RTCP_NACK_MAX);
            NGX_RTC_FUZZ_ASSERT(info.nrb <= NGX_RTC_RTCP_RB_MAX);
        }
    }

    free(in);

    return 0;
}
