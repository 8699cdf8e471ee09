/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ngx_rtc_auth.h"


/*
 * Camera URLs and RTSP authentication.  A camera URL carries a password,
 * so the rule is simple: the URL as configured goes to the request line
 * and the Authorization header only, and every log line, status page and
 * error text uses u->redacted.
 */


typedef struct {
    u_char     *pos;
    u_char     *end;
    ngx_uint_t  overflow;
} ngx_rtc_auth_out_t;


static ngx_int_t ngx_rtc_auth_decode(u_char *pos, u_char *last, ngx_str_t *out,
    u_char *buf, size_t size);
static ngx_int_t ngx_rtc_auth_url_error(ngx_rtc_url_t *u, const char *err);
static ngx_uint_t ngx_rtc_auth_url_char(u_char ch);
static ngx_uint_t ngx_rtc_auth_host_char(u_char ch);
static void ngx_rtc_auth_redact_path(ngx_rtc_auth_out_t *o, ngx_str_t *path);
static void ngx_rtc_auth_put(ngx_rtc_auth_out_t *o, u_char *p, size_t len);
static void ngx_rtc_auth_put_quoted(ngx_rtc_auth_out_t *o, ngx_str_t *s);
static ngx_int_t ngx_rtc_auth_param(u_char **pos, u_char *end,
    ngx_str_t *name, ngx_str_t *value, u_char *buf, size_t size);
static ngx_int_t ngx_rtc_auth_copy(ngx_str_t *value, ngx_str_t *dst,
    u_char *buf, size_t size);
static ngx_uint_t ngx_rtc_auth_has_token(ngx_str_t *list, const char *token);
static ngx_int_t ngx_rtc_auth_hash(ngx_uint_t hash, ngx_str_t *parts,
    ngx_uint_t n, u_char *hex);


#define ngx_rtc_auth_put_lit(o, s)                                            \
    ngx_rtc_auth_put(o, (u_char *) s, sizeof(s) - 1)


ngx_int_t
ngx_rtc_auth_parse_url(ngx_str_t *url, ngx_rtc_url_t *u)
{
    u_char              *p, *end, *auth, *at, *colon, *host, *host_end;
    u_char              *port, *path;
    size_t               n;
    ngx_int_t            rc;
    ngx_uint_t           explicit_port, i;
    ngx_rtc_auth_out_t   o;

    ngx_memzero(u, offsetof(ngx_rtc_url_t, user_buf));

    p = url->data;
    end = p + url->len;

    if (url->len == 0) {
        return ngx_rtc_auth_url_error(u, "empty");
    }

    if (url->len >= NGX_RTC_URL_MAX - 16) {
        return ngx_rtc_auth_url_error(u, "too long");
    }

    /*
     * Control characters and spaces would end up on the request line (or
     * in a log line): refuse them anywhere, even percent-encoded ones are
     * only allowed inside the credentials, which never get printed.
     */

    for (i = 0; i < url->len; i++) {
        if (!ngx_rtc_auth_url_char(p[i])) {
            return ngx_rtc_auth_url_error(u, "a space, control or non-ASCII "
                                          "character (percent-encode it)");
        }
    }

    if (url->len >= 7 && ngx_strncasecmp(p, (u_char *) "rtsp://", 7) == 0) {
        ngx_str_set(&u->scheme, "rtsp");
        u->port = 554;
        p += 7;

    } else if (url->len >= 8
               && ngx_strncasecmp(p, (u_char *) "rtsps://", 8) == 0)
    {
        ngx_str_set(&u->scheme, "rtsps");
        u->port = 322;
        u->tls = 1;
        p += 8;

    } else if (url->len >= 7
               && ngx_strncasecmp(p, (u_char *) "whep://", 7) == 0)
    {
        /* a WHEP endpoint (ngx_rtc_whep_source.c): HTTP, HTTPS */

        ngx_str_set(&u->scheme, "whep");
        u->port = 80;
        p += 7;

    } else if (url->len >= 8
               && ngx_strncasecmp(p, (u_char *) "wheps://", 8) == 0)
    {
        ngx_str_set(&u->scheme, "wheps");
        u->port = 443;
        u->tls = 1;
        p += 8;

    } else {
        return ngx_rtc_auth_url_error(u, "the scheme is not rtsp://, "
                                      "rtsps://, whep:// or wheps:// (other "
                                      "inputs: ffmpeg:URL)");
    }

    /*
     * RFC 3986 3.2: authority = [ userinfo "@" ] host [ ":" port ], ending
     * at the first "/".  The last "@" ends the user information, so that
     * "admin:p@ss@10.0.0.2" works; a "/", "?" or "#" in a password must be
     * percent-encoded.
     */

    auth = p;

    path = ngx_strlchr(p, end, '/');
    if (path == NULL) {
        path = end;
    }

    at = NULL;

    for (p = auth; p < path; p++) {
        if (*p == '@') {
            at = p;
        }
    }

    if (at) {
        u->has_userinfo = 1;

        colon = ngx_strlchr(auth, at, ':');

        rc = ngx_rtc_auth_decode(auth, colon ? colon : at, &u->user,
                                 u->user_buf, NGX_RTC_URL_CRED_MAX);
        if (rc != NGX_OK) {
            return ngx_rtc_auth_url_error(u, "the user name is too long or "
                                          "has an invalid %-escape");
        }

        /* the user name is sent as is in a Digest header: no CR, LF */

        for (i = 0; i < u->user.len; i++) {
            if (u->user.data[i] < 0x20 || u->user.data[i] == 0x7f) {
                return ngx_rtc_auth_url_error(u, "the user name has a "
                                              "control character");
            }
        }

        if (colon) {
            rc = ngx_rtc_auth_decode(colon + 1, at, &u->password,
                                     u->password_buf, NGX_RTC_URL_CRED_MAX);
            if (rc != NGX_OK) {
                return ngx_rtc_auth_url_error(u, "the password is too long "
                                              "or has an invalid %-escape");
            }

        } else {
            /* no password: an empty one, not a NULL pointer to print */
            u->password.data = u->password_buf;
        }

        host = at + 1;

    } else {
        host = auth;
    }

    /* host: reg-name, IPv4 or "[" IPv6 "]"; query and fragment without path */

    if (host < path && *host == '[') {
        host_end = ngx_strlchr(host, path, ']');
        if (host_end == NULL || host_end == host + 1) {
            return ngx_rtc_auth_url_error(u, "an IPv6 address without its "
                                          "\"]\"");
        }

        for (p = host + 1; p < host_end; p++) {
            if (!ngx_rtc_auth_host_char(*p) && *p != ':' && *p != '%') {
                return ngx_rtc_auth_url_error(u, "an invalid character in "
                                              "the IPv6 address");
            }
        }

        host_end++;

    } else {
        for (host_end = host; host_end < path; host_end++) {
            if (*host_end == ':' || *host_end == '?' || *host_end == '#') {
                break;
            }

            if (!ngx_rtc_auth_host_char(*host_end)) {
                return ngx_rtc_auth_url_error(u, "an invalid character in "
                                              "the host name");
            }
        }

        if (host_end == host) {
            return ngx_rtc_auth_url_error(u, "no host");
        }
    }

    u->host.data = host;
    u->host.len = host_end - host;

    explicit_port = 0;
    p = host_end;

    if (p < path && *p == ':') {
        port = ++p;

        while (p < path && *p >= '0' && *p <= '9') {
            p++;
        }

        if (p != port) {
            rc = (p - port > 5) ? NGX_ERROR : ngx_atoi(port, p - port);

            if (rc < 1 || rc > 65535) {
                return ngx_rtc_auth_url_error(u, "the port is not 1 to "
                                              "65535");
            }

            u->port = (in_port_t) rc;
            explicit_port = 1;
        }
    }

    if (p < path && *p != '?' && *p != '#') {
        return ngx_rtc_auth_url_error(u, "the port is not a number (a "
                                      "\"/\", \"?\" or \"#\" in a password "
                                      "must be percent-encoded)");
    }

    if (p < path) {
        /* "rtsp://host?query": no path at all */
        path = p;
    }

    u->path.data = path;
    u->path.len = end - path;

    p = ngx_strlchr(path, end, '#');
    if (p) {
        u->path.len = p - path;
    }

    /* the request URI: the URL without user information (and fragment) */

    o.pos = u->uri_buf;
    o.end = u->uri_buf + NGX_RTC_URL_MAX;
    o.overflow = 0;

    ngx_rtc_auth_put(&o, u->scheme.data, u->scheme.len);
    ngx_rtc_auth_put_lit(&o, "://");
    ngx_rtc_auth_put(&o, u->host.data, u->host.len);

    if (explicit_port) {
        o.pos = ngx_slprintf(o.pos, o.end, ":%d", (int) u->port);
    }

    if (u->path.len == 0 || u->path.data[0] != '/') {
        ngx_rtc_auth_put_lit(&o, "/");
    }

    ngx_rtc_auth_put(&o, u->path.data, u->path.len);

    if (o.overflow || o.pos == o.end) {
        return ngx_rtc_auth_url_error(u, "too long");
    }

    u->uri.data = u->uri_buf;
    u->uri.len = o.pos - u->uri_buf;

    /* u->host and u->path pointed into the caller's string: repoint them */

    n = u->scheme.len + sizeof("://") - 1;

    u->host.data = u->uri_buf + n;
    u->path.data = u->uri_buf + n + u->host.len;

    if (explicit_port) {
        u->path.data = ngx_strlchr(u->path.data, u->uri_buf + u->uri.len,
                                   '/');
    }

    u->path.len = u->uri_buf + u->uri.len - u->path.data;

    /* host:port */

    if (u->host.len + sizeof(":65535") > sizeof(u->hostport_buf)) {
        return ngx_rtc_auth_url_error(u, "the host name is too long");
    }

    u->hostport.data = u->hostport_buf;
    u->hostport.len = ngx_sprintf(u->hostport_buf, "%V:%d", &u->host,
                                  (int) u->port)
                      - u->hostport_buf;

    /* the printable form */

    o.pos = u->redacted_buf;
    o.end = u->redacted_buf + sizeof(u->redacted_buf);

    ngx_rtc_auth_put(&o, u->scheme.data, u->scheme.len);
    ngx_rtc_auth_put_lit(&o, "://");

    if (u->has_userinfo) {
        ngx_rtc_auth_put_lit(&o, "***@");
    }

    ngx_rtc_auth_put(&o, u->hostport.data, u->hostport.len);
    ngx_rtc_auth_redact_path(&o, &u->path);

    if (o.overflow) {
        return ngx_rtc_auth_url_error(u, "too long");
    }

    u->redacted.data = u->redacted_buf;
    u->redacted.len = o.pos - u->redacted_buf;

    return NGX_OK;
}


/* why a URL was refused, for the caller's message: never the URL itself */

static ngx_int_t
ngx_rtc_auth_url_error(ngx_rtc_url_t *u, const char *err)
{
    u->err = err;

    return NGX_ERROR;
}


static ngx_int_t
ngx_rtc_auth_decode(u_char *pos, u_char *last, ngx_str_t *out, u_char *buf,
    size_t size)
{
    u_char     *d;
    ngx_int_t   n;

    /* RFC 3986 2.1 percent-decoding of userinfo */

    d = buf;

    while (pos < last) {

        if ((size_t) (d - buf) >= size - 1) {
            return NGX_ERROR;
        }

        if (*pos != '%') {
            *d++ = *pos++;
            continue;
        }

        if (last - pos < 3) {
            return NGX_ERROR;
        }

        n = ngx_hextoi(pos + 1, 2);
        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        *d++ = (u_char) n;
        pos += 3;
    }

    *d = '\0';

    out->data = buf;
    out->len = d - buf;

    return NGX_OK;
}


/*
 * Any URL, as ngx_rtc_auth_parse_url() shows a camera's: the user
 * information after the scheme's slashes ("user:password@", up to the
 * last "@" before the first "/", as the parser takes it: a "?" may be in
 * a password) becomes "***@", and secret-looking values in the path and
 * query "***".
 * Without "://" (a file path) the whole string is a path.  Each value
 * grows by 3 at most ("a=" to "a=***"): 4 * len + 8 bytes always do.
 */

size_t
ngx_rtc_auth_redact(ngx_str_t *url, u_char *buf)
{
    u_char              *p, *end, *host, *at;
    ngx_str_t            rest;
    ngx_rtc_auth_out_t   o;

    o.pos = buf;
    o.end = buf + NGX_RTC_AUTH_REDACT_SIZE(url->len);
    o.overflow = 0;

    p = url->data;
    end = p + url->len;

    host = ngx_strlcasestrn(p, end, (u_char *) "://", 3 - 1);

    if (host) {
        host += 3;
        at = NULL;

        for (p = host; p < end && *p != '/'; p++) {
            if (*p == '@') {
                at = p;
            }
        }

        ngx_rtc_auth_put(&o, url->data, host - url->data);

        if (at) {
            ngx_rtc_auth_put_lit(&o, "***");
            p = at;

        } else {
            p = host;
        }

    } else {
        p = url->data;
    }

    rest.data = p;
    rest.len = end - p;

    ngx_rtc_auth_redact_path(&o, &rest);

    if (o.overflow) {
        /* not reached: the size above is an upper bound */
        return ngx_cpymem(buf, "***", 3) - buf;
    }

    return o.pos - buf;
}


static ngx_uint_t
ngx_rtc_auth_url_char(u_char ch)
{
    return ch > 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
}


static ngx_uint_t
ngx_rtc_auth_host_char(u_char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
           || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-'
           || ch == '_';
}


static void
ngx_rtc_auth_redact_path(ngx_rtc_auth_out_t *o, ngx_str_t *path)
{
    u_char  *p, *end, *name, *eq;

    /*
     * Some cameras take credentials in the path or query instead:
     * "/user=admin_password=x_channel=1_stream=0.sdp" (Xiongmai),
     * "/cam?user=admin&pwd=x" (many), "?token=...".  Each value after such
     * a name is replaced by "***" up to the next "&", ";", "/", "?", "#".
     */

    p = path->data;
    end = p + path->len;

    while (p < end) {

        eq = ngx_strlchr(p, end, '=');
        if (eq == NULL) {
            break;
        }

        for (name = eq; name > p; name--) {
            if (!((name[-1] >= 'a' && name[-1] <= 'z')
                  || (name[-1] >= 'A' && name[-1] <= 'Z')
                  || (name[-1] >= '0' && name[-1] <= '9')))
            {
                break;
            }
        }

        ngx_rtc_auth_put(o, p, eq + 1 - p);
        p = eq + 1;

        if (!ngx_rtc_auth_secret_name(name, eq - name)) {
            continue;
        }

        ngx_rtc_auth_put_lit(o, "***");

        while (p < end && *p != '&' && *p != ';' && *p != '/' && *p != '?'
               && *p != '#')
        {
            p++;
        }
    }

    ngx_rtc_auth_put(o, p, end - p);
}


/* a name whose value in a URL's path or query is a secret ("pwd") */

ngx_uint_t
ngx_rtc_auth_secret_name(u_char *name, size_t len)
{
    ngx_uint_t     i;
    static char   *names[] = {
        "user", "username", "usr", "password", "passwd", "pass", "pwd",
        "token", "auth", "key", "secret", "sign", NULL
    };

    for (i = 0; names[i]; i++) {
        if (ngx_strlen(names[i]) == len
            && ngx_strncasecmp(name, (u_char *) names[i], len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


ngx_int_t
ngx_rtc_auth_basic(ngx_rtc_url_t *u, u_char *buf, size_t size,
    ngx_str_t *out)
{
    u_char     tmp[2 * NGX_RTC_URL_CRED_MAX + 1];
    ngx_str_t  src, dst;

    /* RFC 7617 2: "Basic " base64(user-id ":" password) */

    src.data = tmp;
    src.len = ngx_sprintf(tmp, "%V:%V", &u->user, &u->password) - tmp;

    if (size < sizeof("Basic ") - 1 + ngx_base64_encoded_length(src.len)) {
        OPENSSL_cleanse(tmp, sizeof(tmp));
        return NGX_ERROR;
    }

    ngx_memcpy(buf, "Basic ", sizeof("Basic ") - 1);

    dst.data = buf + sizeof("Basic ") - 1;
    ngx_encode_base64(&dst, &src);

    OPENSSL_cleanse(tmp, sizeof(tmp));

    out->data = buf;
    out->len = sizeof("Basic ") - 1 + dst.len;

    return NGX_OK;
}


ngx_int_t
ngx_rtc_auth_digest_parse(ngx_str_t *challenge, ngx_rtc_auth_digest_t *d)
{
    u_char     *p, *end, tmp[NGX_RTC_AUTH_PARAM_MAX];
    ngx_int_t   rc;
    ngx_str_t   name, value, alg;

    ngx_memzero(d, offsetof(ngx_rtc_auth_digest_t, realm_buf));

    /* RFC 7616 3.3: challenge = "Digest" [ 1#auth-param ] */

    p = challenge->data;
    end = p + challenge->len;

    for ( ;; ) {
        rc = ngx_rtc_auth_param(&p, end, &name, &value, tmp, sizeof(tmp));

        if (rc == NGX_DONE) {
            break;
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }

        if (name.len == 5 && ngx_strncasecmp(name.data, (u_char *) "realm", 5)
                             == 0)
        {
            if (d->realm.data == NULL
                && ngx_rtc_auth_copy(&value, &d->realm, d->realm_buf,
                                     sizeof(d->realm_buf))
                   != NGX_OK)
            {
                return NGX_ERROR;
            }

        } else if (name.len == 5
                   && ngx_strncasecmp(name.data, (u_char *) "nonce", 5) == 0)
        {
            if (d->nonce.data == NULL
                && ngx_rtc_auth_copy(&value, &d->nonce, d->nonce_buf,
                                     sizeof(d->nonce_buf))
                   != NGX_OK)
            {
                return NGX_ERROR;
            }

        } else if (name.len == 6
                   && ngx_strncasecmp(name.data, (u_char *) "opaque", 6) == 0)
        {
            if (d->opaque.data == NULL
                && ngx_rtc_auth_copy(&value, &d->opaque, d->opaque_buf,
                                     sizeof(d->opaque_buf))
                   != NGX_OK)
            {
                return NGX_ERROR;
            }

        } else if (name.len == 9
                   && ngx_strncasecmp(name.data, (u_char *) "algorithm", 9)
                      == 0)
        {
            if (d->algorithm.data == NULL
                && ngx_rtc_auth_copy(&value, &d->algorithm, d->algorithm_buf,
                                     sizeof(d->algorithm_buf))
                   != NGX_OK)
            {
                return NGX_ERROR;
            }

        } else if (name.len == 3
                   && ngx_strncasecmp(name.data, (u_char *) "qop", 3) == 0)
        {
            if (ngx_rtc_auth_has_token(&value, "auth")) {
                d->qop_auth = 1;
            }

        } else if (name.len == 5
                   && ngx_strncasecmp(name.data, (u_char *) "stale", 5) == 0)
        {
            d->stale = (value.len == 4
                        && ngx_strncasecmp(value.data, (u_char *) "true", 4)
                           == 0);

        } else if (name.len == 8
                   && ngx_strncasecmp(name.data, (u_char *) "userhash", 8)
                      == 0)
        {
            d->userhash = (value.len == 4
                           && ngx_strncasecmp(value.data, (u_char *) "true", 4)
                              == 0);
        }
    }

    if (d->nonce.data == NULL) {
        return NGX_ERROR;
    }

    if (d->realm.data == NULL) {
        d->realm.data = d->realm_buf;
    }

    alg = d->algorithm;

    if (alg.len > 5
        && ngx_strncasecmp(alg.data + alg.len - 5, (u_char *) "-sess", 5)
           == 0)
    {
        d->sess = 1;
        alg.len -= 5;
    }

    if (alg.len == 0
        || (alg.len == 3 && ngx_strncasecmp(alg.data, (u_char *) "MD5", 3)
                            == 0))
    {
        d->hash = NGX_RTC_AUTH_MD5;

    } else if (alg.len == 7
               && ngx_strncasecmp(alg.data, (u_char *) "SHA-256", 7) == 0)
    {
        d->hash = NGX_RTC_AUTH_SHA256;

    } else {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_auth_param(u_char **pos, u_char *end, ngx_str_t *name,
    ngx_str_t *value, u_char *buf, size_t size)
{
    u_char  *p, *d;

    /*
     * RFC 7235 2.1: auth-param = token BWS "=" BWS ( token / quoted-string ),
     * separated by commas; line folding left CR and LF in between.
     */

    p = *pos;

    while (p < end && (*p == ' ' || *p == '\t' || *p == ',' || *p == '\r'
                       || *p == '\n'))
    {
        p++;
    }

    if (p == end) {
        return NGX_DONE;
    }

    name->data = p;

    while (p < end && *p != '=' && *p != ' ' && *p != '\t' && *p != ',') {
        p++;
    }

    name->len = p - name->data;

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if (p == end || *p != '=' || name->len == 0) {
        return NGX_ERROR;
    }

    p++;

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if (p < end && *p == '"') {
        p++;
        d = buf;

        for ( ;; ) {
            if (p == end) {
                return NGX_ERROR;       /* unterminated */
            }

            if (*p == '"') {
                p++;
                break;
            }

            if (*p == '\\' && p + 1 < end) {
                p++;
            }

            /*
             * RFC 7230 3.2.6: no controls but HTAB; the camera's values
             * are echoed into our Authorization header
             */

            if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
                return NGX_ERROR;
            }

            if ((size_t) (d - buf) >= size) {
                return NGX_ERROR;
            }

            *d++ = *p++;
        }

        value->data = buf;
        value->len = d - buf;

    } else {
        value->data = p;

        while (p < end && *p != ',' && *p != ' ' && *p != '\t'
               && *p != '\r' && *p != '\n')
        {
            if (*p < 0x20 || *p == 0x7f) {
                return NGX_ERROR;
            }

            p++;
        }

        value->len = p - value->data;
    }

    *pos = p;

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_auth_copy(ngx_str_t *value, ngx_str_t *dst, u_char *buf, size_t size)
{
    if (value->len >= size) {
        return NGX_ERROR;
    }

    ngx_memcpy(buf, value->data, value->len);
    buf[value->len] = '\0';

    dst->data = buf;
    dst->len = value->len;

    return NGX_OK;
}


static ngx_uint_t
ngx_rtc_auth_has_token(ngx_str_t *list, const char *token)
{
    u_char  *p, *end, *t;
    size_t   len;

    len = ngx_strlen(token);

    p = list->data;
    end = p + list->len;

    while (p < end) {

        while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        t = p;

        while (p < end && *p != ',' && *p != ' ' && *p != '\t') {
            p++;
        }

        if ((size_t) (p - t) == len
            && ngx_strncasecmp(t, (u_char *) token, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


ngx_int_t
ngx_rtc_auth_digest(ngx_rtc_auth_digest_t *d, ngx_str_t *user,
    ngx_str_t *password, ngx_str_t *method, ngx_str_t *uri, u_char *buf,
    size_t size, ngx_str_t *out)
{
    u_char               ha1[65], ha2[65], resp[65], nc[9], rnd[16];
    ngx_str_t            parts[6], s;
    ngx_uint_t           i, len;
    ngx_rtc_auth_out_t   o;
    static u_char        hex[] = "0123456789abcdef";

    if ((d->qop_auth || d->sess) && d->cnonce.len == 0) {
        if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
            return NGX_ERROR;
        }

        for (i = 0; i < sizeof(rnd); i++) {
            d->cnonce_buf[2 * i] = hex[rnd[i] >> 4];
            d->cnonce_buf[2 * i + 1] = hex[rnd[i] & 0xf];
        }

        d->cnonce.data = d->cnonce_buf;
        d->cnonce.len = 2 * sizeof(rnd);
    }

    d->nc++;
    ngx_sprintf(nc, "%08xi", d->nc);

    len = (d->hash == NGX_RTC_AUTH_SHA256) ? 64 : 32;

    /* RFC 7616 3.4.2: A1 = username ":" realm ":" passwd */

    parts[0] = *user;
    parts[1] = d->realm;
    parts[2] = *password;

    if (ngx_rtc_auth_hash(d->hash, parts, 3, ha1) != NGX_OK) {
        return NGX_ERROR;
    }

    if (d->sess) {

        /* H(username ":" realm ":" passwd) ":" nonce ":" cnonce */

        parts[0].data = ha1;
        parts[0].len = len;
        parts[1] = d->nonce;
        parts[2] = d->cnonce;

        if (ngx_rtc_auth_hash(d->hash, parts, 3, ha1) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    /* RFC 7616 3.4.3: A2 = Method ":" request-uri */

    parts[0] = *method;
    parts[1] = *uri;

    if (ngx_rtc_auth_hash(d->hash, parts, 2, ha2) != NGX_OK) {
        return NGX_ERROR;
    }

    /*
     * RFC 7616 3.4.1: response = KD(H(A1), nonce ":" nc ":" cnonce ":"
     * qop ":" H(A2)); without qop (RFC 2069) KD(H(A1), nonce ":" H(A2)).
     */

    parts[0].data = ha1;
    parts[0].len = len;
    parts[1] = d->nonce;

    if (d->qop_auth) {
        parts[2].data = nc;
        parts[2].len = 8;
        parts[3] = d->cnonce;
        ngx_str_set(&parts[4], "auth");
        parts[5].data = ha2;
        parts[5].len = len;

        if (ngx_rtc_auth_hash(d->hash, parts, 6, resp) != NGX_OK) {
            return NGX_ERROR;
        }

    } else {
        parts[2].data = ha2;
        parts[2].len = len;

        if (ngx_rtc_auth_hash(d->hash, parts, 3, resp) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    OPENSSL_cleanse(ha1, sizeof(ha1));

    o.pos = buf;
    o.end = buf + size;
    o.overflow = 0;

    ngx_rtc_auth_put_lit(&o, "Digest username=");
    ngx_rtc_auth_put_quoted(&o, user);
    ngx_rtc_auth_put_lit(&o, ", realm=");
    ngx_rtc_auth_put_quoted(&o, &d->realm);
    ngx_rtc_auth_put_lit(&o, ", nonce=");
    ngx_rtc_auth_put_quoted(&o, &d->nonce);
    ngx_rtc_auth_put_lit(&o, ", uri=");
    ngx_rtc_auth_put_quoted(&o, uri);
    ngx_rtc_auth_put_lit(&o, ", response=\"");
    ngx_rtc_auth_put(&o, resp, len);
    ngx_rtc_auth_put_lit(&o, "\"");

    if (d->algorithm.len) {
        ngx_rtc_auth_put_lit(&o, ", algorithm=");
        ngx_rtc_auth_put(&o, d->algorithm.data, d->algorithm.len);
    }

    if (d->opaque.data) {
        ngx_rtc_auth_put_lit(&o, ", opaque=");
        ngx_rtc_auth_put_quoted(&o, &d->opaque);
    }

    if (d->qop_auth) {
        ngx_rtc_auth_put_lit(&o, ", qop=auth, nc=");
        ngx_rtc_auth_put(&o, nc, 8);
        ngx_rtc_auth_put_lit(&o, ", cnonce=");
        ngx_rtc_auth_put_quoted(&o, &d->cnonce);

    } else if (d->sess) {
        ngx_rtc_auth_put_lit(&o, ", cnonce=");
        ngx_rtc_auth_put_quoted(&o, &d->cnonce);
    }

    if (o.overflow) {
        return NGX_ERROR;
    }

    s.data = buf;
    s.len = o.pos - buf;
    *out = s;

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_auth_hash(ngx_uint_t hash, ngx_str_t *parts, ngx_uint_t n,
    u_char *hex)
{
    u_char         md[EVP_MAX_MD_SIZE];
    ngx_int_t      rc;
    ngx_uint_t     i;
    unsigned int   len;
    EVP_MD_CTX    *ctx;
    static u_char  digits[] = "0123456789abcdef";

    /* H(parts[0] ":" parts[1] ":" ...), lower-case hex, NUL-terminated */

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    if (EVP_DigestInit_ex(ctx, hash == NGX_RTC_AUTH_SHA256 ? EVP_sha256()
                                                           : EVP_md5(),
                          NULL)
        != 1)
    {
        goto done;
    }

    for (i = 0; i < n; i++) {
        if (i && EVP_DigestUpdate(ctx, ":", 1) != 1) {
            goto done;
        }

        if (parts[i].len
            && EVP_DigestUpdate(ctx, parts[i].data, parts[i].len) != 1)
        {
            goto done;
        }
    }

    if (EVP_DigestFinal_ex(ctx, md, &len) != 1) {
        goto done;
    }

    for (i = 0; i < len; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 0xf];
    }

    hex[2 * len] = '\0';

    rc = NGX_OK;

done:

    EVP_MD_CTX_free(ctx);

    return rc;
}


static void
ngx_rtc_auth_put(ngx_rtc_auth_out_t *o, u_char *p, size_t len)
{
    if (o->overflow || (size_t) (o->end - o->pos) < len) {
        o->overflow = 1;
        return;
    }

    o->pos = ngx_cpymem(o->pos, p, len);
}


static void
ngx_rtc_auth_put_quoted(ngx_rtc_auth_out_t *o, ngx_str_t *s)
{
    size_t  i;

    /* RFC 7230 3.2.6 quoted-string, escaping DQUOTE and backslash */

    ngx_rtc_auth_put_lit(o, "\"");

    for (i = 0; i < s->len; i++) {
        if (s->data[i] == '"' || s->data[i] == '\\') {
            ngx_rtc_auth_put_lit(o, "\\");
        }

        ngx_rtc_auth_put(o, &s->data[i], 1);
    }

    ngx_rtc_auth_put_lit(o, "\"");
}
