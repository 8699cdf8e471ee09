/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_rtc_http_reply.h>


/* RFC 9110, 15.5.21 */
#define NGX_RTC_HTTP_UNPROCESSABLE  422


/*
 * Every header of the module's responses goes through here: a value with
 * a control character (RFC 9110, 5.5: field-vchar, SP and HTAB only) is a
 * bug of ours, never sent: nginx's header filter copies values as they
 * are, so a CR or LF would end the header and start another.
 */

ngx_int_t
ngx_rtc_http_reply_header(ngx_http_request_t *r, char *key, ngx_str_t *value)
{
    size_t            i;
    ngx_table_elt_t  *h;

    for (i = 0; i < value->len; i++) {
        if ((value->data[i] < 0x20 && value->data[i] != '\t')
            || value->data[i] == 0x7f)
        {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "rtc http %s header with a control character "
                          "not sent", key);
            return NGX_ERROR;
        }
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value = *value;

    return NGX_OK;
}


/*
 * The status, Content-Type and Content-Length of the buffer b, then b
 * itself unless the response is header-only (HEAD: nginx's header filter
 * says so): what a handler returns, or finalizes its request with.
 */

ngx_int_t
ngx_rtc_http_reply(ngx_http_request_t *r, ngx_uint_t status, char *type,
    ngx_buf_t *b)
{
    ngx_int_t    rc;
    ngx_chain_t  out;

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = status;
    r->headers_out.content_length_n = b->last - b->pos;

    /* nginx's HTTP/1 status lines have no reason phrase for 422 */

    if (status == NGX_RTC_HTTP_UNPROCESSABLE) {
        ngx_str_set(&r->headers_out.status_line,
                    "422 Unprocessable Entity");
    }

    r->headers_out.content_type.len = ngx_strlen(type);
    r->headers_out.content_type.data = (u_char *) type;
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* the same for len bytes at data, which live as long as the request */

ngx_int_t
ngx_rtc_http_reply_data(ngx_http_request_t *r, ngx_uint_t status, char *type,
    u_char *data, size_t len)
{
    ngx_buf_t  *b;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = data;
    b->last = data + len;
    b->memory = 1;

    return ngx_rtc_http_reply(r, status, type, b);
}
