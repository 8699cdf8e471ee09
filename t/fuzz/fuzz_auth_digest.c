/*
 * Copyright (C) nginx-rtc authors
 *
 * The value of a camera's "WWW-Authenticate: Digest ..." header (the part
 * after the scheme, as ngx_rtc_rtsp_parse() hands it over):
 * ngx_rtc_auth_digest_parse(), then the Authorization value the client
 * would send twice with it.  The camera's realm, nonce and opaque are
 * echoed into that header: it must hold no CR, LF or NUL.
 *
 * fuzz-deps: src/ngx_rtc_auth.c
 * fuzz-libs: -lcrypto
 */

#include "ngx_rtc_fuzz.h"
#include "ngx_rtc_auth.h"


#define NGX_RTC_FUZZ_AUTH_MAX  2048     /* NGX_RTC_RTSP_AUTH_MAX */


static ngx_rtc_auth_digest_t  d;


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char     *in, *buf, *p;
    ngx_str_t   challenge, out;
    ngx_uint_t  i;

    static ngx_str_t  user = ngx_string("admin");
    static ngx_str_t  password = ngx_string("p@ss:word");
    static ngx_str_t  method = ngx_string("DESCRIBE");
    static ngx_str_t  uri = ngx_string("rtsp://10.0.0.2:554/stream1");

    in = ngx_rtc_fuzz_copy(data, size);

    challenge.data = in;
    challenge.len = size;

    if (ngx_rtc_auth_digest_parse(&challenge, &d) != NGX_OK) {
        free(in);
        return 0;
    }

    NGX_RTC_FUZZ_ASSERT(d.nonce.data == d.nonce_buf
                        && d.nonce.len <= sizeof(d.nonce_buf));
    NGX_RTC_FUZZ_ASSERT(d.realm.data == d.realm_buf
                        && d.realm.len <= sizeof(d.realm_buf));
    NGX_RTC_FUZZ_ASSERT(d.opaque.len <= sizeof(d.opaque_buf));
    NGX_RTC_FUZZ_ASSERT(d.algorithm.len <= sizeof(d.algorithm_buf));

    /* a fixed cnonce half the time, a generated one otherwise */

    if (size & 1) {
        ngx_str_set(&d.cnonce, "0a4f113b");
    }

    buf = malloc(NGX_RTC_FUZZ_AUTH_MAX);
    if (buf == NULL) {
        abort();
    }

    for (i = 0; i < 2; i++) {
        if (ngx_rtc_auth_digest(&d, &user, &password, &method, &uri, buf,
                                NGX_RTC_FUZZ_AUTH_MAX, &out)
            != NGX_OK)
        {
            break;
        }

        NGX_RTC_FUZZ_ASSERT(out.data == buf
                            && out.len <= NGX_RTC_FUZZ_AUTH_MAX);

        for (p = out.data; p < out.data + out.len; p++) {
            NGX_RTC_FUZZ_ASSERT(*p != CR && *p != LF && *p != '\0');
        }
    }

    free(buf);
    free(in);

    return 0;
}
