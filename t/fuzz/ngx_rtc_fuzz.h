/*
 * Copyright (C) nginx-rtc authors
 *
 * Shared by the fuzz harnesses t/fuzz/fuzz_<name>.c.  Each harness is one
 * LLVMFuzzerTestOneInput() over one pure parser; it is linked either with
 * libFuzzer (clang -fsanitize=fuzzer,address,undefined: "make fuzz") or
 * with t/fuzz/replay.c (gcc with ASan/UBSan: "make fuzz-replay", part of
 * "make test"), which runs it over every file of t/fuzz/corpus/<name>/.
 *
 * A harness line "fuzz-deps: src/a.c ..." names the sources to link and
 * "fuzz-libs: -lx" the libraries, as unit-deps/unit-libs do for t/unit.
 *
 * Beside memory errors (the sanitizers' part), harnesses check what the
 * callers of a parser rely on: results point inside the input, lengths
 * add up.  A broken invariant aborts with the harness's file and line.
 */

#ifndef _NGX_RTC_FUZZ_H_INCLUDED_
#define _NGX_RTC_FUZZ_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <stdio.h>


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


#define NGX_RTC_FUZZ_ASSERT(cond)                                             \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz invariant broken %s:%d: %s\n",              \
                    __FILE__, __LINE__, #cond);                               \
            abort();                                                          \
        }                                                                     \
    } while (0)


/* s is empty or lies within [start, end) */

#define NGX_RTC_FUZZ_INSIDE(s, start, end)                                    \
    NGX_RTC_FUZZ_ASSERT((s)->len == 0                                         \
                        || ((s)->data >= (u_char *) (start)                   \
                            && (s)->data + (s)->len <= (u_char *) (end)))


/* a fresh heap copy of exactly n bytes: reads past it are caught by ASan */

static ngx_inline u_char *
ngx_rtc_fuzz_copy(const uint8_t *data, size_t n)
{
    u_char  *p;

    p = malloc(n ? n : 1);
    if (p == NULL) {
        abort();
    }

    if (n) {
        ngx_memcpy(p, data, n);
    }

    return p;
}


static ngx_inline uint32_t
ngx_rtc_fuzz_be16(const uint8_t *p)
{
    return ((uint32_t) p[0] << 8) | p[1];
}


static ngx_inline uint32_t
ngx_rtc_fuzz_be32(const uint8_t *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
           | ((uint32_t) p[2] << 8) | p[3];
}


#endif /* _NGX_RTC_FUZZ_H_INCLUDED_ */
