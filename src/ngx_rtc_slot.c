/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc_slot.h>


/*
 * Worker slots and process identity.  Pure: works on caller-given shared
 * memory and /proc, so the unit tests run it in forked processes.
 */


/* the 20th field after the command's ")" of /proc/PID/stat (proc(5)) */
#define NGX_RTC_SLOT_STAT_START  19


/*
 * /proc/PID/stat: "pid (comm) state ppid ... starttime ...".  The command
 * may hold spaces and parentheses: the fields start after the last ")".
 */

ngx_int_t
ngx_rtc_slot_parse_stat(u_char *p, u_char *last, u_char *state,
    uint64_t *start)
{
    u_char      *q;
    uint64_t     n;
    ngx_uint_t   field;

    q = NULL;

    for ( /* void */ ; p < last; p++) {
        if (*p == ')') {
            q = p;
        }
    }

    if (q == NULL) {
        return NGX_ERROR;
    }

    p = q + 1;
    field = 0;

    for ( ;; ) {
        while (p < last && *p == ' ') {
            p++;
        }

        if (p == last) {
            return NGX_ERROR;
        }

        if (field == 0) {
            *state = *p;
        }

        if (field == NGX_RTC_SLOT_STAT_START) {
            break;
        }

        while (p < last && *p != ' ') {
            p++;
        }

        field++;
    }

    n = 0;

    for (q = p; p < last && *p >= '0' && *p <= '9'; p++) {
        if (n > ((uint64_t) -1 - 9) / 10) {
            return NGX_ERROR;
        }

        n = n * 10 + (*p - '0');
    }

    if (p == q || (p < last && *p != ' ' && *p != '\n')) {
        return NGX_ERROR;
    }

    *start = n;

    return NGX_OK;
}


/*
 * The start time of a live process, or 0: no such process (or a zombie,
 * which has exited), or no /proc to tell.
 */

uint64_t
ngx_rtc_slot_start(ngx_pid_t pid)
{
    int        fd;
    u_char     state, buf[1024], name[NGX_INT64_LEN + sizeof("/proc//stat")];
    ssize_t    n;
    uint64_t   start;

    *ngx_sprintf(name, "/proc/%i/stat", (ngx_int_t) pid) = '\0';

    fd = open((char *) name, O_RDONLY|O_CLOEXEC);
    if (fd == -1) {
        return 0;
    }

    n = read(fd, buf, sizeof(buf));

    (void) close(fd);

    if (n <= 0
        || ngx_rtc_slot_parse_stat(buf, buf + n, &state, &start) != NGX_OK
        || state == 'Z' || state == 'X')
    {
        return 0;
    }

    return start;
}


/*
 * Is the process that was pid, started at start, still running?  A start
 * time of 0 (unknown when it was recorded) leaves kill(pid, 0) to decide.
 */

ngx_uint_t
ngx_rtc_slot_alive(ngx_pid_t pid, uint64_t start)
{
    uint64_t  now;

    if (pid <= 0) {
        return 0;
    }

    if (kill(pid, 0) == -1 && ngx_errno == NGX_ESRCH) {
        return 0;
    }

    if (start == 0) {
        return 1;
    }

    now = ngx_rtc_slot_start(pid);

    if (now == 0) {

        /* gone since kill(), a zombie, or no /proc: then trust kill() */

        return access("/proc/self/stat", R_OK) == 0 ? 0 : 1;
    }

    /* the pid was given to another process */

    return now == start;
}


/* a worker takes its slot: what an earlier process left there is void */

void
ngx_rtc_slot_enter(ngx_rtc_slot_sh_t *sl, ngx_atomic_uint_t gen,
    ngx_pid_t pid, uint64_t start)
{
    sl->pid = pid;
    sl->start = start;
    sl->generation = gen;
    ngx_memory_barrier();
    sl->wake = 0;
    ngx_memory_barrier();
}


/*
 * A writer of generation gen (after writing the ring): NGX_OK when it must
 * write the slot's eventfd, NGX_DECLINED when the worker was woken already
 * or is of another generation (its eventfd is not the writer's to write).
 * A flag left by another generation is taken over, never obeyed.
 */

ngx_int_t
ngx_rtc_slot_signal(ngx_rtc_slot_sh_t *sl, ngx_atomic_uint_t gen)
{
    ngx_atomic_uint_t  v;

    if (sl->generation != gen) {
        return NGX_DECLINED;
    }

    for ( ;; ) {
        v = sl->wake;

        if (v == gen) {
            return NGX_DECLINED;
        }

        if (ngx_atomic_cmp_set(&sl->wake, v, gen)) {
            return NGX_OK;
        }
    }
}


/*
 * The worker of generation gen, before reading the rings: 1 if it cleared
 * its flag, 2 if it cleared a flag left by a generation no longer in the
 * slot, 0 if the flag was clear (or is the slot's newer worker's).
 */

ngx_uint_t
ngx_rtc_slot_clear(ngx_rtc_slot_sh_t *sl, ngx_atomic_uint_t gen)
{
    ngx_uint_t         rc;
    ngx_atomic_uint_t  v;

    v = sl->wake;

    if (v == 0) {
        return 0;
    }

    if (v == gen) {
        rc = 1;

    } else if (v != sl->generation) {
        rc = 2;

    } else {
        return 0;
    }

    if (!ngx_atomic_cmp_set(&sl->wake, v, 0)) {
        return 0;
    }

    ngx_memory_barrier();

    return rc;
}


/*
 * A producer, after writing the ring of stream "stream" and before
 * raising the flag: the stream has news for the slot's worker.  A mark
 * already there costs a read, not a locked instruction: the ring write
 * ended with one (ngx_rtc_ring_leave()), so the frame is visible before
 * this read, and the worker, which takes the mark after it, reads it.
 */

void
ngx_rtc_slot_mark(ngx_rtc_slot_sh_t *sl, ngx_uint_t stream)
{
    ngx_atomic_t       *w;
    ngx_atomic_uint_t   v, bit;

    if (stream >= NGX_RTC_SLOT_STREAMS) {
        return;
    }

    w = &sl->pending[stream / NGX_RTC_SLOT_BITS];
    bit = (ngx_atomic_uint_t) 1 << (stream % NGX_RTC_SLOT_BITS);

    for ( ;; ) {
        v = *w;

        if (v & bit) {
            return;
        }

        if (ngx_atomic_cmp_set(w, v, v | bit)) {
            return;
        }
    }
}


/*
 * The worker, after clearing its flag: the marks of one word of the
 * pending set (streams word * NGX_RTC_SLOT_BITS + bit), cleared.
 */

ngx_atomic_uint_t
ngx_rtc_slot_take(ngx_rtc_slot_sh_t *sl, ngx_uint_t word)
{
    ngx_atomic_t       *w;
    ngx_atomic_uint_t   v;

    w = &sl->pending[word];

    for ( ;; ) {
        v = *w;

        if (v == 0 || ngx_atomic_cmp_set(w, v, 0)) {
            return v;
        }
    }
}
