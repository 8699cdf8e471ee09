/*
 * Copyright (C) nginx-rtc authors
 *
 * Stand-ins for ngx_palloc.c and ngx_array.c, for the unit tests of the
 * sources that allocate from a pool (test_ice.c, test_ice_restart.c):
 * malloc, all freed by test_mem_free() at the end.  It defines functions:
 * one test file includes it.
 */

#ifndef _NGX_RTC_UNIT_MEM_H_INCLUDED_
#define _NGX_RTC_UNIT_MEM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


static void       *test_mem[1024];
static ngx_uint_t  test_nmem;


static void *
test_alloc(size_t size)
{
    void  *p;

    if (test_nmem == sizeof(test_mem) / sizeof(test_mem[0])) {
        return NULL;
    }

    p = malloc(size ? size : 1);
    test_mem[test_nmem++] = p;

    return p;
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    return test_alloc(size);
}


void *
ngx_array_push(ngx_array_t *a)
{
    void  *elts;

    if (a->nelts == a->nalloc) {
        elts = test_alloc(2 * a->nalloc * a->size);
        if (elts == NULL) {
            return NULL;
        }

        ngx_memcpy(elts, a->elts, a->nelts * a->size);
        a->elts = elts;
        a->nalloc *= 2;
    }

    return (u_char *) a->elts + a->size * a->nelts++;
}


/* an array of n elements of this size, no pool */

static void
test_array(ngx_array_t *a, ngx_uint_t n, size_t size)
{
    a->elts = test_alloc(n * size);
    a->nelts = 0;
    a->size = size;
    a->nalloc = n;
    a->pool = NULL;
}


static void
test_mem_free(void)
{
    ngx_uint_t  i;

    for (i = 0; i < test_nmem; i++) {
        free(test_mem[i]);
    }

    test_nmem = 0;
}


#endif /* _NGX_RTC_UNIT_MEM_H_INCLUDED_ */
