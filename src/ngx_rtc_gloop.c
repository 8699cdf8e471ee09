/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <malloc.h>
#include "ngx_rtc_gloop.h"


/*
 * A loop is one GMainContext and the nginx events mirroring it: the
 * worker's own (ngx_rtc_gloop_context(), the thread default: idle
 * sources, GTask results) and one per libnice agent
 * (ngx_rtc_gloop_create()).  A context's prepare(), query() and check()
 * walk all of its sources and fds, so with one context for all agents
 * every wake-up cost in proportion to all the worker's sessions; with a
 * context per agent, a ready socket or an expired timer runs the
 * iteration of its own agent only, and a sync after a libnice call
 * touches that agent's few sources and fds: the work of a wake-up is in
 * proportion to what is ready.  An agent's context has no other thread
 * to wake it, so its GWakeup fd is not given to epoll (the sync after
 * every libnice call made outside a dispatch replaces it).
 *
 * One GLib main-loop iteration is split across nginx events:
 *
 *   sync:     g_main_context_prepare() + g_main_context_query(), then the
 *             poll fds are mirrored into nginx connections with read/write
 *             events and the timeout into one nginx timer;
 *   handler:  an event or the timer fired: post one event, so that all
 *             GLib fds ready in one epoll batch cost one iteration;
 *   run:      the posted event: poll(2) the fds with a zero timeout for
 *             exact revents, g_main_context_check() and
 *             g_main_context_dispatch(), then sync again.
 *
 * Events are level-triggered (NGX_LEVEL_EVENT, not nginx's usual EPOLLET).
 * libnice does read every queued datagram in one dispatch, but a datagram
 * left unread for any other reason (a source of lower priority than the
 * ready one, a check() that found the poll records changed since query())
 * makes epoll report the fd again instead of stalling the agent.
 *
 * GLib owns the fds: connections are released with c->fd = -1 and never
 * closed here.  A fd that GLib closed before the sync noticed is no longer
 * in epoll (the kernel drops a closed file from its interest lists), so it
 * is removed with NGX_CLOSE_EVENT; fstat() identity tells the two apart.
 */


/* while some fd could not get an nginx connection, poll every 50 ms */
#define NGX_RTC_GLOOP_POLL  50

/* allocations this large or larger are mapped apart (see init) */
#define NGX_RTC_GLOOP_MMAP  (64 * 1024)


typedef struct {
    ngx_connection_t   *c;
    gint                fd;
    gushort             events;
    dev_t               dev;
    ino_t               ino;
} ngx_rtc_gloop_fd_t;


struct ngx_rtc_gloop_s {
    /* the head of ngx_connection_t, for ngx_event_ident(timer.data) */
    void               *data;
    ngx_event_t        *read;
    ngx_event_t        *write;
    ngx_socket_t        fd;

    GMainContext       *context;
    gint                wakeup;       /* the GWakeup fd not in epoll; -1 */
    ngx_log_t          *log;
    ngx_event_t         timer;
    ngx_event_t         run;

    GPollFD            *pfds;         /* the last g_main_context_query() */
    ngx_rtc_gloop_fd_t *want;         /* pfds sorted by fd, merged */
    ngx_rtc_gloop_fd_t *regs;         /* fds with nginx events, by fd */
    ngx_rtc_gloop_fd_t *next;         /* regs being rebuilt */
    ngx_uint_t          size;         /* capacity of each array above */
    ngx_uint_t          npfds;
    ngx_uint_t          nregs;
    gint                max_priority;

    unsigned            prepared:1;
    unsigned            dispatching:1;
    unsigned            unregistered:1;
    unsigned            io:1;         /* an fd event since the last run */
};


static ngx_int_t ngx_rtc_gloop_open(ngx_rtc_gloop_t *gl, ngx_log_t *log);
static void ngx_rtc_gloop_close(ngx_rtc_gloop_t *gl);
static void ngx_rtc_gloop_do_sync(ngx_rtc_gloop_t *gl);
static ngx_int_t ngx_rtc_gloop_grow(ngx_rtc_gloop_t *gl, ngx_uint_t n);
static void ngx_rtc_gloop_sync_fds(ngx_rtc_gloop_t *gl);
static int ngx_libc_cdecl ngx_rtc_gloop_cmp(const void *one,
    const void *two);
static void ngx_rtc_gloop_add(ngx_rtc_gloop_t *gl, ngx_rtc_gloop_fd_t *reg);
static ngx_int_t ngx_rtc_gloop_set(ngx_rtc_gloop_fd_t *reg);
static void ngx_rtc_gloop_release(ngx_rtc_gloop_fd_t *reg);
static void ngx_rtc_gloop_timer(ngx_event_t *ev);
static void ngx_rtc_gloop_handler(ngx_event_t *ev);
static void ngx_rtc_gloop_run(ngx_event_t *ev);
static void ngx_rtc_gloop_log(const gchar *domain, GLogLevelFlags level,
    const gchar *message, gpointer data);


/*
 * The worker's own GMainContext (the thread default) and the nginx events
 * mirroring it.  A per-process singleton by nature (one event loop per
 * worker), hence the only file-level state of the module's GLib side.
 */
static ngx_rtc_gloop_t  ngx_rtc_gloop;


ngx_int_t
ngx_rtc_gloop_init(ngx_cycle_t *cycle)
{
    ngx_rtc_gloop_t  *gl;

    gl = &ngx_rtc_gloop;

    if (gl->context) {
        return NGX_OK;
    }

#ifdef M_MMAP_THRESHOLD

    /*
     * Each libnice component allocates two 64 KB buffers (one to receive
     * into, one for RFC 4571 framing, used by ICE-TCP only), 128 KB a
     * session, of which a UDP session writes a few hundred bytes.  From
     * the heap, their pages are dirtied by the chunks around them and by
     * whatever reuses the memory after them; mapped apart, a session
     * costs the pages it writes, and a session's end returns them.  A
     * fixed threshold also stops glibc from raising it on its own.
     */

    if (mallopt(M_MMAP_THRESHOLD, NGX_RTC_GLOOP_MMAP) != 1) {
        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "rtc gloop: mallopt(M_MMAP_THRESHOLD) failed");
    }

#endif

    if (ngx_rtc_gloop_open(gl, cycle->log) != NGX_OK) {
        return NGX_ERROR;
    }

    /* GTask and friends deliver to the thread-default context */
    g_main_context_push_thread_default(gl->context);

    g_log_set_default_handler(ngx_rtc_gloop_log, NULL);

    ngx_rtc_gloop_do_sync(gl);

    return NGX_OK;
}


GMainContext *
ngx_rtc_gloop_context(void)
{
    return ngx_rtc_gloop.context;
}


void
ngx_rtc_gloop_update(void)
{
    ngx_rtc_gloop_sync(&ngx_rtc_gloop);
}


void
ngx_rtc_gloop_done(ngx_cycle_t *cycle)
{
    ngx_rtc_gloop_t  *gl;

    gl = &ngx_rtc_gloop;

    if (gl->context == NULL) {
        return;
    }

    g_log_set_default_handler(g_log_default_handler, NULL);

    g_main_context_pop_thread_default(gl->context);

    ngx_rtc_gloop_close(gl);
}


/*
 * A loop of its own, for one libnice agent: its GWakeup fd is the one fd
 * of a new context, and stays out of epoll (no other thread wakes it).
 */

ngx_rtc_gloop_t *
ngx_rtc_gloop_create(ngx_log_t *log)
{
    gint              timeout;
    GPollFD           pfd;
    ngx_rtc_gloop_t  *gl;

    gl = ngx_calloc(sizeof(ngx_rtc_gloop_t), log);
    if (gl == NULL) {
        return NULL;
    }

    if (ngx_rtc_gloop_open(gl, log) != NGX_OK) {
        ngx_free(gl);
        return NULL;
    }

    (void) g_main_context_prepare(gl->context, &gl->max_priority);

    if (g_main_context_query(gl->context, gl->max_priority, &timeout, &pfd, 1)
        == 1)
    {
        gl->wakeup = pfd.fd;
    }

    ngx_rtc_gloop_do_sync(gl);

    return gl;
}


GMainContext *
ngx_rtc_gloop_get_context(ngx_rtc_gloop_t *gl)
{
    return gl->context;
}


void
ngx_rtc_gloop_sync(ngx_rtc_gloop_t *gl)
{
    if (gl == NULL || gl->context == NULL || gl->dispatching) {
        /* ngx_rtc_gloop_run() syncs once dispatch returns */
        return;
    }

    ngx_rtc_gloop_do_sync(gl);
}


void
ngx_rtc_gloop_destroy(ngx_rtc_gloop_t *gl)
{
    if (gl == NULL) {
        return;
    }

    ngx_rtc_gloop_close(gl);
    ngx_free(gl);
}


static ngx_int_t
ngx_rtc_gloop_open(ngx_rtc_gloop_t *gl, ngx_log_t *log)
{
    GMainContext  *ctx;

    ctx = g_main_context_new();

    if (!g_main_context_acquire(ctx)) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "rtc gloop: g_main_context_acquire() failed");
        g_main_context_unref(ctx);
        return NGX_ERROR;
    }

    ngx_memzero(gl, sizeof(ngx_rtc_gloop_t));

    gl->fd = (ngx_socket_t) -1;
    gl->context = ctx;
    gl->wakeup = -1;
    gl->log = log;

    gl->timer.handler = ngx_rtc_gloop_timer;
    gl->timer.log = log;
    gl->timer.data = gl;

    /* GLib timers must not hold a worker that is shutting down */
    gl->timer.cancelable = 1;

    gl->run.handler = ngx_rtc_gloop_run;
    gl->run.log = log;
    gl->run.data = gl;

    return NGX_OK;
}


static void
ngx_rtc_gloop_close(ngx_rtc_gloop_t *gl)
{
    ngx_uint_t  i;

    for (i = 0; i < gl->nregs; i++) {
        ngx_rtc_gloop_release(&gl->regs[i]);
    }

    gl->nregs = 0;

    if (gl->timer.timer_set) {
        ngx_del_timer(&gl->timer);
    }

    if (gl->run.posted) {
        ngx_delete_posted_event(&gl->run);
    }

    /* agents still alive hold their own references to the context */
    g_main_context_release(gl->context);
    g_main_context_unref(gl->context);

    if (gl->size) {
        ngx_free(gl->pfds);
        ngx_free(gl->want);
        ngx_free(gl->regs);
        ngx_free(gl->next);
    }

    ngx_memzero(gl, sizeof(ngx_rtc_gloop_t));
}


static void
ngx_rtc_gloop_do_sync(ngx_rtc_gloop_t *gl)
{
    gint        timeout, n;
    ngx_msec_t  key;

    gl->prepared = 0;

    (void) g_main_context_prepare(gl->context, &gl->max_priority);

    for ( ;; ) {
        n = g_main_context_query(gl->context, gl->max_priority, &timeout,
                                 gl->pfds, (gint) gl->size);

        if ((ngx_uint_t) n <= gl->size) {
            break;
        }

        if (ngx_rtc_gloop_grow(gl, (ngx_uint_t) n) != NGX_OK) {
            /* no memory: keep what is registered and retry soon */
            timeout = NGX_RTC_GLOOP_POLL;
            goto timer;
        }
    }

    gl->npfds = (ngx_uint_t) n;
    gl->prepared = 1;

    ngx_rtc_gloop_sync_fds(gl);

    if (gl->unregistered
        && (timeout < 0 || timeout > NGX_RTC_GLOOP_POLL))
    {
        timeout = NGX_RTC_GLOOP_POLL;
    }

    ngx_log_debug5(NGX_LOG_DEBUG_EVENT, gl->log, 0,
                   "rtc gloop sync %p: fds:%ui regs:%ui timeout:%d prio:%d",
                   gl, gl->npfds, gl->nregs, timeout, gl->max_priority);

timer:

    if (timeout < 0) {
        if (gl->timer.timer_set) {
            ngx_del_timer(&gl->timer);
        }

        return;
    }

    /*
     * ngx_add_timer() keeps an armed timer that differs by less than
     * NGX_TIMER_LAZY_DELAY (300 ms): far too coarse for ICE pacing (20 ms)
     */

    key = ngx_current_msec + (ngx_msec_t) timeout;

    if (gl->timer.timer_set) {
        if (gl->timer.timer.key == key) {
            return;
        }

        ngx_del_timer(&gl->timer);
    }

    ngx_add_timer(&gl->timer, (ngx_msec_t) timeout);
}


static ngx_int_t
ngx_rtc_gloop_grow(ngx_rtc_gloop_t *gl, ngx_uint_t n)
{
    size_t               size;
    GPollFD             *pfds;
    ngx_rtc_gloop_fd_t  *want, *regs, *next;

    size = ngx_max(ngx_max(n, 2 * gl->size), 4);

    pfds = ngx_alloc(size * sizeof(GPollFD), gl->log);
    want = ngx_alloc(size * sizeof(ngx_rtc_gloop_fd_t), gl->log);
    regs = ngx_alloc(size * sizeof(ngx_rtc_gloop_fd_t), gl->log);
    next = ngx_alloc(size * sizeof(ngx_rtc_gloop_fd_t), gl->log);

    if (pfds == NULL || want == NULL || regs == NULL || next == NULL) {
        ngx_free(pfds);
        ngx_free(want);
        ngx_free(regs);
        ngx_free(next);
        return NGX_ERROR;
    }

    if (gl->size) {
        ngx_memcpy(regs, gl->regs, gl->nregs * sizeof(ngx_rtc_gloop_fd_t));

        ngx_free(gl->pfds);
        ngx_free(gl->want);
        ngx_free(gl->regs);
        ngx_free(gl->next);
    }

    gl->pfds = pfds;
    gl->want = want;
    gl->regs = regs;
    gl->next = next;
    gl->size = size;

    return NGX_OK;
}


static void
ngx_rtc_gloop_sync_fds(ngx_rtc_gloop_t *gl)
{
    ngx_uint_t           i, j, k, nwant, sorted;
    ngx_rtc_gloop_fd_t  *reg, *w, *tmp;

    /*
     * GLib keeps its poll records sorted by fd and query() merges records
     * of one fd; sort and merge here only if that ever changes
     */

    sorted = 1;

    for (i = 0; i < gl->npfds; i++) {
        gl->want[i].fd = gl->pfds[i].fd;
        gl->want[i].events = gl->pfds[i].events & (G_IO_IN|G_IO_PRI|G_IO_OUT);

        if (gl->pfds[i].fd == gl->wakeup) {
            /* polled in ngx_rtc_gloop_run(), never waited for */
            gl->want[i].events = 0;
        }

        if (i && gl->pfds[i].fd <= gl->pfds[i - 1].fd) {
            sorted = 0;
        }
    }

    nwant = gl->npfds;

    if (!sorted) {
        ngx_qsort(gl->want, nwant, sizeof(ngx_rtc_gloop_fd_t),
                  ngx_rtc_gloop_cmp);

        for (i = 0, j = 0; i < nwant; i++) {
            if (j && gl->want[j - 1].fd == gl->want[i].fd) {
                gl->want[j - 1].events |= gl->want[i].events;
                continue;
            }

            gl->want[j++] = gl->want[i];
        }

        nwant = j;
    }

    /* merge the sorted registrations with the sorted wanted fds */

    gl->unregistered = 0;

    i = 0;
    j = 0;
    k = 0;

    while (i < gl->nregs || j < nwant) {

        reg = (i < gl->nregs) ? &gl->regs[i] : NULL;
        w = (j < nwant) ? &gl->want[j] : NULL;

        if (w == NULL || (reg && reg->fd < w->fd)) {
            ngx_rtc_gloop_release(reg);
            i++;
            continue;
        }

        if (w->events == 0) {
            /* only G_IO_ERR/G_IO_HUP wanted: nginx has no such event */
            if (reg && reg->fd == w->fd) {
                ngx_rtc_gloop_release(reg);
                i++;
            }

            if (w->fd != gl->wakeup) {
                gl->unregistered = 1;
            }

            j++;
            continue;
        }

        if (reg == NULL || reg->fd > w->fd) {
            gl->next[k].c = NULL;
            gl->next[k].fd = w->fd;
            gl->next[k].events = w->events;
            ngx_rtc_gloop_add(gl, &gl->next[k]);

        } else {
            gl->next[k] = *reg;
            i++;

            if (reg->c == NULL || reg->events != w->events) {
                gl->next[k].events = w->events;
                ngx_rtc_gloop_add(gl, &gl->next[k]);
            }
        }

        if (gl->next[k].c == NULL) {
            gl->unregistered = 1;
        }

        j++;
        k++;
    }

    tmp = gl->regs;
    gl->regs = gl->next;
    gl->next = tmp;
    gl->nregs = k;
}


static int ngx_libc_cdecl
ngx_rtc_gloop_cmp(const void *one, const void *two)
{
    const ngx_rtc_gloop_fd_t  *a = one, *b = two;

    return (a->fd > b->fd) - (a->fd < b->fd);
}


static void
ngx_rtc_gloop_add(ngx_rtc_gloop_t *gl, ngx_rtc_gloop_fd_t *reg)
{
    ngx_file_info_t    fi;
    ngx_connection_t  *c;

    if (reg->c == NULL) {

        if (ngx_fd_info(reg->fd, &fi) == NGX_FILE_ERROR) {
            ngx_log_error(NGX_LOG_ALERT, gl->log, ngx_errno,
                          ngx_fd_info_n " %d failed", reg->fd);
            return;
        }

        c = ngx_get_connection(reg->fd, gl->log);
        if (c == NULL) {
            return;
        }

        c->data = gl;
        c->read->handler = ngx_rtc_gloop_handler;
        c->write->handler = ngx_rtc_gloop_handler;
        c->read->log = gl->log;
        c->write->log = gl->log;

        reg->c = c;
        reg->dev = fi.st_dev;
        reg->ino = fi.st_ino;
    }

    if (ngx_rtc_gloop_set(reg) != NGX_OK) {
        ngx_rtc_gloop_release(reg);
        reg->c = NULL;
    }
}


static ngx_int_t
ngx_rtc_gloop_set(ngx_rtc_gloop_fd_t *reg)
{
    ngx_connection_t  *c;

    c = reg->c;

    if (reg->events & (G_IO_IN|G_IO_PRI)) {
        if (!c->read->active
            && ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else if (c->read->active) {
        if (ngx_del_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (reg->events & G_IO_OUT) {
        if (!c->write->active
            && ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else if (c->write->active) {
        if (ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_rtc_gloop_release(ngx_rtc_gloop_fd_t *reg)
{
    ngx_uint_t         flags;
    ngx_file_info_t    fi;
    ngx_connection_t  *c;

    c = reg->c;

    if (c == NULL) {
        return;
    }

    /*
     * a fd closed by GLib left epoll with its file; a number reused since
     * then belongs to another file that epoll must not be told about
     */

    if (ngx_fd_info(reg->fd, &fi) == NGX_FILE_ERROR
        || fi.st_dev != reg->dev || fi.st_ino != reg->ino)
    {
        flags = NGX_CLOSE_EVENT;

    } else {
        flags = NGX_LEVEL_EVENT;
    }

    if (c->read->active) {
        (void) ngx_del_event(c->read, NGX_READ_EVENT, flags);
    }

    if (c->write->active) {
        (void) ngx_del_event(c->write, NGX_WRITE_EVENT, flags);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    /* c->fd is still valid here: ngx_free_connection() indexes files[] */
    ngx_free_connection(c);

    /* marks stale events of the current epoll batch; GLib owns the fd */
    c->fd = (ngx_socket_t) -1;

    reg->c = NULL;
}


static void
ngx_rtc_gloop_timer(ngx_event_t *ev)
{
    ngx_rtc_gloop_t  *gl;

    gl = ev->data;
    ev->timedout = 0;

    if (gl->context && !gl->run.posted) {
        ngx_post_event(&gl->run, &ngx_posted_events);
    }
}


static void
ngx_rtc_gloop_handler(ngx_event_t *ev)
{
    ngx_connection_t  *c;
    ngx_rtc_gloop_t   *gl;

    c = ev->data;
    gl = c->data;

    /*
     * the worker shutdown timer asks every connection to close; these
     * fds belong to libnice agents, which their sessions tear down
     */
    c->close = 0;
    c->error = 0;

    gl->io = 1;

    if (gl->context && !gl->run.posted) {
        ngx_post_event(&gl->run, &ngx_posted_events);
    }
}


static void
ngx_rtc_gloop_run(ngx_event_t *ev)
{
    ngx_err_t         err;
    ngx_uint_t        i;
    ngx_rtc_gloop_t  *gl;

    gl = ev->data;

    if (gl->context == NULL || gl->dispatching) {
        return;
    }

    if (!gl->prepared) {
        ngx_rtc_gloop_do_sync(gl);
        return;
    }

    /*
     * Only a wake-up by an fd polls the fds for exact revents: most runs
     * of an agent's loop are its timers (libnice's checks and consent),
     * and an fd ready meanwhile is reported by epoll (level-triggered)
     * and runs the loop again.  The worker's own loop always polls: its
     * GWakeup fd is how other threads reach it.
     */

    if (gl->io || gl->wakeup == -1) {
        gl->io = 0;

        if (gl->npfds && g_poll(gl->pfds, (guint) gl->npfds, 0) == -1) {
            err = ngx_errno;

            if (err != NGX_EINTR) {
                ngx_log_error(NGX_LOG_ALERT, gl->log, err,
                              "rtc gloop: poll() failed");
            }

            for (i = 0; i < gl->npfds; i++) {
                gl->pfds[i].revents = 0;
            }
        }

    } else {
        for (i = 0; i < gl->npfds; i++) {
            gl->pfds[i].revents = 0;
        }
    }

    gl->prepared = 0;
    gl->dispatching = 1;

    if (g_main_context_check(gl->context, gl->max_priority, gl->pfds,
                             (gint) gl->npfds))
    {
        g_main_context_dispatch(gl->context);
    }

    gl->dispatching = 0;

    ngx_rtc_gloop_do_sync(gl);

    /*
     * an agent's dispatch may have given the worker's context a source
     * (a GTask result, an idle), which does not wake it on this thread
     */

    if (gl != &ngx_rtc_gloop) {
        ngx_rtc_gloop_sync(&ngx_rtc_gloop);
    }
}


static void
ngx_rtc_gloop_log(const gchar *domain, GLogLevelFlags level,
    const gchar *message, gpointer data)
{
    ngx_uint_t   lvl;
    ngx_log_t   *log;

    log = ngx_cycle->log;

    if (domain == NULL) {
        domain = "glib";
    }

    if (level & (G_LOG_LEVEL_ERROR|G_LOG_LEVEL_CRITICAL)) {
        lvl = NGX_LOG_ALERT;

    } else if (level & G_LOG_LEVEL_WARNING) {
        lvl = NGX_LOG_WARN;

    } else if (level & G_LOG_LEVEL_MESSAGE) {
        lvl = NGX_LOG_NOTICE;

    } else if (level & G_LOG_LEVEL_INFO) {
        lvl = NGX_LOG_INFO;

    } else {
        ngx_log_debug2(NGX_LOG_DEBUG_EVENT, log, 0, "rtc %s: %s",
                       domain, message);
        return;
    }

    ngx_log_error(lvl, log, 0, "rtc %s: %s", domain, message);
}
