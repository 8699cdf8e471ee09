/*
 * Copyright (C) nginx-rtc authors
 *
 * A camera's audio track: the format of its SDP (a=rtpmap name, clock,
 * channels and the a=fmtp, for AAC the RFC 3640 parameters with the hex
 * AudioSpecificConfig) into ngx_rtc_audio_depack_init(), then its RTP
 * payloads (AU headers, fragmented AUs) into ngx_rtc_audio_depacketize(),
 * with the buffer size ngx_rtc_rtsp_media.c gives it.  Frames handed out
 * must lie in memory the depacketizer may hand out.
 *
 * Input: a config byte (bits 0-2: encoding name, bits 3-4: clock, bits
 * 5-7: channels), the fmtp's length (2 bytes) and text, then packets as
 * in ngx_rtc_fuzz.h: length (2), sequence number (2), timestamp (4),
 * flags (1: bit 0 marker), payload.
 *
 * fuzz-deps: src/ngx_rtc_audio.c src/ngx_rtc_sdp.c src/ngx_rtc_rtp.c
 */

#include "ngx_rtc_fuzz.h"
#include "ngx_rtc_audio.h"


static ngx_rtc_fuzz_packets_t  pk;


static void
ngx_rtc_fuzz_audio_frame(void *data, u_char *frame, size_t len,
    uint32_t rtp_ts)
{
    volatile u_char  c;

    NGX_RTC_FUZZ_ASSERT(len <= NGX_RTC_AUDIO_AU_MAX
                        || len <= pk.len);

    /* every byte handed out is readable */

    if (len) {
        c = frame[0];
        c = frame[len - 1];
        (void) c;
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                  *buf, *fmtp_data;
    size_t                   n;
    uint8_t                  cfg;
    ngx_str_t                name, fmtp;
    ngx_uint_t               rate, channels, samples;
    ngx_rtc_audio_depack_t   d;

    static const char  *names[] = {
        "MPEG4-GENERIC", "mpeg4-generic", "PCMA", "PCMU", "opus",
        "L16", "MP4A-LATM", ""
    };
    static const ngx_uint_t  clocks[] = { 8000, 16000, 44100, 48000 };

    if (size < 3) {
        return 0;
    }

    cfg = data[0];
    n = ngx_min(ngx_rtc_fuzz_be16(data + 1), size - 3);

    fmtp_data = ngx_rtc_fuzz_copy(data + 3, n);
    fmtp.data = fmtp_data;
    fmtp.len = n;

    name.data = (u_char *) names[cfg & 7];
    name.len = ngx_strlen(names[cfg & 7]);

    (void) ngx_rtc_audio_aac_config(fmtp_data, n, &rate, &channels,
                                    &samples);

    buf = malloc(NGX_RTC_AUDIO_AU_MAX);
    if (buf == NULL) {
        abort();
    }

    if (ngx_rtc_audio_depack_init(&d, &name, 96, clocks[(cfg >> 3) & 3],
                                  cfg >> 5, &fmtp, buf, NGX_RTC_AUDIO_AU_MAX,
                                  ngx_rtc_fuzz_audio_frame, NULL)
        == NGX_OK)
    {
        ngx_memzero(&pk, sizeof(ngx_rtc_fuzz_packets_t));
        pk.pos = data + 3 + n;
        pk.end = data + size;

        while (ngx_rtc_fuzz_packets_next(&pk)) {
            (void) ngx_rtc_audio_depacketize(&d, pk.payload, pk.len, pk.seq,
                                             pk.ts, pk.marker);

            NGX_RTC_FUZZ_ASSERT(d.len <= d.size);
        }

    } else {
        NGX_RTC_FUZZ_ASSERT(d.err != NULL);
    }

    free(buf);
    free(fmtp_data);

    return 0;
}
