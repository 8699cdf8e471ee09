/*
 * Copyright (C) nginx-rtc authors
 *
 * One datagram or interleaved frame taken for RTP: ngx_rtc_rtp_parse()
 * (the camera's packets) and ngx_rtc_rtp_is_rtcp() (the demultiplexing of
 * what a viewer sends on its rtcp-mux transport).  The payload, extension
 * and padding the header describes must lie inside the packet and add up.
 *
 * fuzz-deps: src/ngx_rtc_rtp.c
 */

#include "ngx_rtc_fuzz.h"
#include "ngx_rtc_rtp.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char             *in;
    ngx_rtc_rtp_hdr_t   h;

    in = ngx_rtc_fuzz_copy(data, size);

    (void) ngx_rtc_rtp_is_rtcp(in, size);

    if (ngx_rtc_rtp_parse(in, size, &h) == NGX_OK) {
        NGX_RTC_FUZZ_ASSERT(h.version == 2);
        NGX_RTC_FUZZ_ASSERT(h.pt <= 127 && h.csrc_count <= 15);
        NGX_RTC_FUZZ_ASSERT(h.payload >= in + NGX_RTC_RTP_HEADER_LEN
                            && h.payload <= in + size);
        NGX_RTC_FUZZ_ASSERT(h.payload_len + h.padding_len
                            <= (size_t) (in + size - h.payload));

        if (h.ext) {
            NGX_RTC_FUZZ_ASSERT(h.ext >= in + NGX_RTC_RTP_HEADER_LEN
                                && h.ext + h.ext_len <= h.payload);
        }

        if (h.padding_len) {
            NGX_RTC_FUZZ_ASSERT(h.payload + h.payload_len + h.padding_len
                                == in + size);
        }
    }

    free(in);

    return 0;
}
