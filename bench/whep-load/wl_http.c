/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The HTTP client: one request per connection (Connection: close), non-
 * blocking, on the epoll loop; the response is read until the server
 * closes or Content-Length bytes of body are in.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "wl.h"


static void wl_http_done(wl_session_t *s);
static void wl_http_failed(wl_session_t *s);
static char *wl_http_header(char *head, char *end, const char *name);


/* http://host[:port]/path: host by name or address, IPv4 */

int
wl_http_parse_url(const char *url, struct sockaddr_in *sin, char *host,
    size_t host_size, char *path, size_t path_size)
{
    int               port, rc;
    size_t            n;
    const char       *p, *slash, *colon;
    struct addrinfo   hints, *res;

    if (strncmp(url, "http://", 7) != 0) {
        return -1;
    }

    p = url + 7;
    slash = strchr(p, '/');
    if (slash == NULL) {
        slash = p + strlen(p);
    }

    colon = memchr(p, ':', slash - p);
    port = 80;

    if (colon) {
        port = atoi(colon + 1);
        if (port <= 0 || port > 65535) {
            return -1;
        }

    } else {
        colon = slash;
    }

    n = colon - p;
    if (n == 0 || n >= host_size) {
        return -1;
    }

    memcpy(host, p, n);
    host[n] = '\0';

    snprintf(path, path_size, "%s", *slash ? slash : "/");

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;

    rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0) {
        return -1;
    }

    memcpy(sin, res->ai_addr, sizeof(struct sockaddr_in));
    sin->sin_port = htons(port);
    freeaddrinfo(res);

    return 0;
}


int
wl_http_start(wl_session_t *s, const char *method, const char *path,
    const char *body, size_t body_len)
{
    int                 fd;
    size_t              head;
    wl_http_t          *h;
    struct epoll_event  ev;

    h = calloc(1, sizeof(wl_http_t));
    if (h == NULL) {
        return -1;
    }

    h->fd = -1;
    h->buf = malloc(WL_HTTP_BUF);
    h->req = malloc(1024 + strlen(path) + body_len);

    if (h->buf == NULL || h->req == NULL) {
        goto failed;
    }

    head = sprintf(h->req,
                   "%s %s HTTP/1.1\r\n"
                   "Host: %s\r\n"
                   "Connection: close\r\n"
                   "User-Agent: whep-load\r\n"
                   "%s"
                   "Content-Length: %zu\r\n"
                   "\r\n",
                   method, path, wl.host,
                   body_len == 0 ? ""
                   : wl.janus ? "Content-Type: application/json\r\n"
                   : "Content-Type: application/sdp\r\n",
                   body_len);

    if (body_len) {
        memcpy(h->req + head, body, body_len);
    }

    h->req_len = head + body_len;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        wl_log("socket(): %s", strerror(errno));
        goto failed;
    }

    h->fd = fd;

    if (connect(fd, (struct sockaddr *) &wl.server, sizeof(wl.server)) == -1
        && errno != EINPROGRESS)
    {
        wl_log("connect(): %s", strerror(errno));
        goto failed;
    }

    /* bit 0 of the epoll data: an HTTP connection, not the UDP socket */

    ev.events = EPOLLOUT | EPOLLIN;
    ev.data.u64 = ((uint64_t) s->id << 1) | 1;

    if (epoll_ctl(wl.ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
        wl_log("epoll_ctl(): %s", strerror(errno));
        goto failed;
    }

    h->deadline = wl.now + (uint64_t) (wl.timeout * WL_SEC);
    s->http = h;
    wl.in_flight++;

    return 0;

failed:

    if (h->fd != -1) {
        close(h->fd);
    }

    free(h->buf);
    free(h->req);
    free(h);

    return -1;
}


void
wl_http_event(wl_session_t *s, uint32_t events)
{
    int                 err;
    char               *end, *cl;
    ssize_t             n;
    socklen_t           len;
    wl_http_t          *h;
    struct epoll_event  ev;

    h = s->http;

    if (h == NULL) {
        return;
    }

    if (!h->sent_all && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {

        err = 0;
        len = sizeof(err);
        getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len);

        if (err) {
            wl_log("session %u: connect: %s", s->id, strerror(err));
            wl_http_close(s);
            wl_http_failed(s);
            return;
        }

        while (h->sent < h->req_len) {
            n = send(h->fd, h->req + h->sent, h->req_len - h->sent,
                     MSG_NOSIGNAL);
            if (n == -1) {
                if (errno == EAGAIN) {
                    return;
                }
                wl_log("session %u: send(): %s", s->id, strerror(errno));
                wl_http_close(s);
                wl_http_failed(s);
                return;
            }
            h->sent += n;
        }

        h->sent_all = 1;

        ev.events = EPOLLIN;
        ev.data.u64 = ((uint64_t) s->id << 1) | 1;
        epoll_ctl(wl.ep, EPOLL_CTL_MOD, h->fd, &ev);
    }

    if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
        return;
    }

    for ( ;; ) {
        if (h->len == WL_HTTP_BUF - 1) {
            wl_http_done(s);
            return;
        }

        n = recv(h->fd, h->buf + h->len, WL_HTTP_BUF - 1 - h->len, 0);

        if (n == -1) {
            if (errno == EAGAIN) {
                break;
            }
            wl_http_done(s);
            return;
        }

        if (n == 0) {
            wl_http_done(s);
            return;
        }

        h->len += n;
    }

    /* a complete response before the close: headers and Content-Length */

    h->buf[h->len] = '\0';
    end = strstr(h->buf, "\r\n\r\n");

    if (end) {
        cl = wl_http_header(h->buf, end, "Content-Length");
        if (cl && (size_t) (end + 4 - h->buf) + atol(cl) <= h->len) {
            wl_http_done(s);
        }
    }
}


static void
wl_http_done(wl_session_t *s)
{
    int         status;
    char       *buf, *end, *body, *loc, *p, *cl;
    size_t      len;
    wl_http_t  *h;

    h = s->http;
    buf = h->buf;
    buf[h->len] = '\0';

    status = 0;
    body = NULL;
    len = 0;
    loc = NULL;

    if (strncmp(buf, "HTTP/1.", 7) == 0 && h->len > 12) {
        status = atoi(buf + 9);
    }

    end = strstr(buf, "\r\n\r\n");

    if (end) {
        body = end + 4;
        len = h->len - (body - buf);

        cl = wl_http_header(buf, end, "Content-Length");
        if (cl && (size_t) atol(cl) < len) {
            len = atol(cl);
        }

        body[len] = '\0';

        loc = wl_http_header(buf, end, "Location");
        if (loc) {
            p = loc + strcspn(loc, "\r\n");
            loc = strndup(loc, p - loc);
        }

    } else {
        status = 0;
    }

    /* the buffer lives until the answer is parsed */

    h->buf = NULL;
    wl_http_close(s);

    if (wl.janus) {
        free(loc);
        wl_janus_response(s, status, body, len);

    } else {
        wl_session_answer(s, status, body, len, loc);
    }

    free(buf);
}


/* no response: connect() or send() failed (the connection is closed) */

static void
wl_http_failed(wl_session_t *s)
{
    if (wl.janus) {
        wl_janus_response(s, 0, NULL, 0);

    } else {
        wl_session_answer(s, 0, NULL, 0, NULL);
    }
}


/* the value of a header, NULL if absent (case-insensitive name) */

static char *
wl_http_header(char *head, char *end, const char *name)
{
    char    *p;
    size_t   n;

    n = strlen(name);

    for (p = strstr(head, "\r\n"); p && p < end; p = strstr(p, "\r\n")) {
        p += 2;

        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            p += n + 1;
            while (*p == ' ' || *p == '\t') {
                p++;
            }
            return p;
        }
    }

    return NULL;
}


void
wl_http_close(wl_session_t *s)
{
    wl_http_t  *h;

    h = s->http;

    if (h == NULL) {
        return;
    }

    if (h->fd != -1) {
        close(h->fd);         /* leaves the epoll set */
    }

    free(h->buf);
    free(h->req);
    free(h);

    s->http = NULL;
    wl.in_flight--;
}
