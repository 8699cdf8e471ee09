/*
 * Copyright (C) nginx-rtc authors
 *
 * Worker slots: /proc/PID/stat parsing, process identity by pid and start
 * time (a reused pid is not the worker), the generation-tagged wake
 * flag with writers of two generations and a reader in separate processes,
 * and the pending set of streams with news: no mark lost between
 * producers and the worker in separate processes.
 */

/* unit-deps: src/ngx_rtc_slot.c */

#include "ngx_rtc_unit.h"
#include "ngx_rtc_slot.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <signal.h>


static void
test_parse(void)
{
    u_char     state;
    uint64_t   start;
    ngx_str_t  s;

    ngx_str_set(&s, "1234 (nginx) S 1 1234 1234 0 -1 4194624 100 0 0 0 "
                    "5 3 0 0 20 0 1 0 987654 123456 789\n");
    start = 0;
    NGX_RTC_CHECK(ngx_rtc_slot_parse_stat(s.data, s.data + s.len, &state,
                                          &start) == NGX_OK);
    NGX_RTC_CHECK(state == 'S' && start == 987654);

    /* a command with spaces and parentheses: fields after the last ")" */

    ngx_str_set(&s, "77 (a) b (c)) R 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 "
                    "1 0 42");
    NGX_RTC_CHECK(ngx_rtc_slot_parse_stat(s.data, s.data + s.len, &state,
                                          &start) == NGX_OK);
    NGX_RTC_CHECK(state == 'R' && start == 42);

    ngx_str_set(&s, "77 (a) Z 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0");
    NGX_RTC_CHECK(ngx_rtc_slot_parse_stat(s.data, s.data + s.len, &state,
                                          &start) == NGX_ERROR);

    ngx_str_set(&s, "77 (a) S 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 4x2");
    NGX_RTC_CHECK(ngx_rtc_slot_parse_stat(s.data, s.data + s.len, &state,
                                          &start) == NGX_ERROR);

    ngx_str_set(&s, "77 a S 1");
    NGX_RTC_CHECK(ngx_rtc_slot_parse_stat(s.data, s.data + s.len, &state,
                                          &start) == NGX_ERROR);

    ngx_str_set(&s, "77 (a) S 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 "
                    "99999999999999999999999");
    NGX_RTC_CHECK(ngx_rtc_slot_parse_stat(s.data, s.data + s.len, &state,
                                          &start) == NGX_ERROR);
}


static void
test_identity(void)
{
    int        st, fds[2];
    char       c;
    pid_t      pid;
    uint64_t   me, child;

    me = ngx_rtc_slot_start(getpid());
    NGX_RTC_CHECK(me != 0);
    NGX_RTC_CHECK(ngx_rtc_slot_alive(getpid(), me));

    /* a reused pid: the same pid with another start time is not us */

    NGX_RTC_CHECK(!ngx_rtc_slot_alive(getpid(), me + 1));
    NGX_RTC_CHECK(ngx_rtc_slot_alive(getpid(), 0));
    NGX_RTC_CHECK(!ngx_rtc_slot_alive(0, 0));

    NGX_RTC_CHECK(pipe(fds) == 0);

    pid = fork();

    if (pid == 0) {
        (void) read(fds[0], &c, 1);
        _exit(0);
    }

    child = ngx_rtc_slot_start(pid);
    NGX_RTC_CHECK(child != 0);
    NGX_RTC_CHECK(ngx_rtc_slot_alive(pid, child));

    /* exited but not reaped (as a worker the master has not waited for) */

    (void) write(fds[1], "x", 1);

    while (ngx_rtc_slot_start(pid) != 0) {
        usleep(1000);
    }

    NGX_RTC_CHECK(kill(pid, 0) == 0);
    NGX_RTC_CHECK(!ngx_rtc_slot_alive(pid, child));

    NGX_RTC_CHECK(waitpid(pid, &st, 0) == pid);
    NGX_RTC_CHECK(!ngx_rtc_slot_alive(pid, child));
    NGX_RTC_CHECK(!ngx_rtc_slot_alive(pid, 0));

    (void) close(fds[0]);
    (void) close(fds[1]);
}


static void
test_wake(void)
{
    ngx_rtc_slot_sh_t  sl;

    ngx_memzero(&sl, sizeof(ngx_rtc_slot_sh_t));

    ngx_rtc_slot_enter(&sl, 1, 100, 5);
    NGX_RTC_CHECK(ngx_rtc_slot_signal(&sl, 1) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_slot_signal(&sl, 1) == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_slot_clear(&sl, 1) == 1);
    NGX_RTC_CHECK(ngx_rtc_slot_clear(&sl, 1) == 0);
    NGX_RTC_CHECK(ngx_rtc_slot_signal(&sl, 1) == NGX_OK);

    /* a reload: the new worker enters with the flag up; the old is void */

    ngx_rtc_slot_enter(&sl, 2, 200, 6);
    NGX_RTC_CHECK(sl.wake == 0 && sl.pid == 200 && sl.start == 6);

    /* an old writer no longer wakes the slot */

    NGX_RTC_CHECK(ngx_rtc_slot_signal(&sl, 1) == NGX_DECLINED);
    NGX_RTC_CHECK(sl.wake == 0);

    /* ... and when it raced in after the check, the new writers take over */

    sl.wake = 1;
    NGX_RTC_CHECK(ngx_rtc_slot_signal(&sl, 2) == NGX_OK);
    NGX_RTC_CHECK(sl.wake == 2);

    /* the old worker, still draining, leaves the new worker's flag alone */

    NGX_RTC_CHECK(ngx_rtc_slot_clear(&sl, 1) == 0);
    NGX_RTC_CHECK(sl.wake == 2);
    NGX_RTC_CHECK(ngx_rtc_slot_clear(&sl, 2) == 1);

    /* the watchdog clears a stale flag of a generation that is gone */

    sl.wake = 1;
    NGX_RTC_CHECK(ngx_rtc_slot_clear(&sl, 2) == 2);
    NGX_RTC_CHECK(sl.wake == 0);
}


/*
 * Writers of the old and the new generation in their own processes, the
 * new worker entering the slot while they run, a reader clearing: when
 * the writers stop, the flag is clear or the reader's eventfd is readable
 * (a raised flag always comes with a wake-up the reader will see).
 */

#define TEST_ROUNDS  20
#define TEST_WRITES  20000


static void
test_writer(ngx_rtc_slot_sh_t *sl, ngx_atomic_uint_t gen, int efd)
{
    uint64_t    one;
    ngx_uint_t  i;

    one = 1;

    for (i = 0; i < TEST_WRITES; i++) {
        if (ngx_rtc_slot_signal(sl, gen) == NGX_OK) {
            if (write(efd, &one, sizeof(uint64_t)) != sizeof(uint64_t)) {
                _exit(2);
            }
        }
    }

    _exit(0);
}


static void
test_wake_processes(void)
{
    int                 efd_old, efd_new, st;
    pid_t               old, cur;
    uint64_t            v;
    ngx_uint_t          round, stuck, i;
    struct pollfd       pfd;
    ngx_rtc_slot_sh_t  *sl;

    sl = mmap(NULL, sizeof(ngx_rtc_slot_sh_t), PROT_READ|PROT_WRITE,
              MAP_SHARED|MAP_ANONYMOUS, -1, 0);
    NGX_RTC_CHECK(sl != MAP_FAILED);

    stuck = 0;

    for (round = 0; round < TEST_ROUNDS; round++) {
        efd_old = eventfd(0, EFD_NONBLOCK);
        efd_new = eventfd(0, EFD_NONBLOCK);

        ngx_rtc_slot_enter(sl, 2 * round + 1, 1, 0);

        old = fork();
        if (old == 0) {
            test_writer(sl, 2 * round + 1, efd_old);
        }

        /* the reload: the new worker enters while the old writer writes */

        usleep(round * 50);
        ngx_rtc_slot_enter(sl, 2 * round + 2, 2, 0);

        cur = fork();
        if (cur == 0) {
            test_writer(sl, 2 * round + 2, efd_new);
        }

        for (i = 0; i < 200; i++) {
            if (read(efd_new, &v, sizeof(uint64_t)) > 0) {
                (void) ngx_rtc_slot_clear(sl, 2 * round + 2);
            }
        }

        NGX_RTC_CHECK(waitpid(old, &st, 0) == old && st == 0);
        NGX_RTC_CHECK(waitpid(cur, &st, 0) == cur && st == 0);

        pfd.fd = efd_new;
        pfd.events = POLLIN;

        if (sl->wake != 0 && poll(&pfd, 1, 0) != 1) {
            stuck++;
        }

        /* the new writers still get through after the reader's last read */

        (void) read(efd_new, &v, sizeof(uint64_t));
        (void) ngx_rtc_slot_clear(sl, 2 * round + 2);

        if (ngx_rtc_slot_signal(sl, 2 * round + 2) != NGX_OK) {
            stuck++;
        }

        (void) close(efd_old);
        (void) close(efd_new);
    }

    NGX_RTC_CHECK(stuck == 0);

    (void) munmap(sl, sizeof(ngx_rtc_slot_sh_t));
}


/* the pending set: marks by stream index, taken a word at a time */

static void
test_pending(void)
{
    ngx_uint_t          w, n;
    ngx_atomic_uint_t   bits;
    ngx_rtc_slot_sh_t   sl;

    ngx_memzero(&sl, sizeof(ngx_rtc_slot_sh_t));

    NGX_RTC_CHECK(NGX_RTC_SLOT_WORDS * NGX_RTC_SLOT_BITS
                  == NGX_RTC_SLOT_STREAMS);

    ngx_rtc_slot_mark(&sl, 0);
    ngx_rtc_slot_mark(&sl, 0);
    ngx_rtc_slot_mark(&sl, NGX_RTC_SLOT_BITS - 1);
    ngx_rtc_slot_mark(&sl, NGX_RTC_SLOT_BITS);
    ngx_rtc_slot_mark(&sl, NGX_RTC_SLOT_STREAMS - 1);

    /* beyond the table: ignored, never a write past the set */
    ngx_rtc_slot_mark(&sl, NGX_RTC_SLOT_STREAMS);

    NGX_RTC_CHECK(ngx_rtc_slot_take(&sl, 0)
                  == (1 | ((ngx_atomic_uint_t) 1 << (NGX_RTC_SLOT_BITS - 1))));
    NGX_RTC_CHECK(ngx_rtc_slot_take(&sl, 0) == 0);
    NGX_RTC_CHECK(ngx_rtc_slot_take(&sl, 1) == 1);
    NGX_RTC_CHECK(ngx_rtc_slot_take(&sl, NGX_RTC_SLOT_WORDS - 1)
                  == (ngx_atomic_uint_t) 1 << (NGX_RTC_SLOT_BITS - 1));

    for (w = 0, n = 0; w < NGX_RTC_SLOT_WORDS; w++) {
        bits = ngx_rtc_slot_take(&sl, w);
        n += (bits != 0);
    }

    NGX_RTC_CHECK(n == 0);

    /* the flag is independent of the marks */

    ngx_rtc_slot_enter(&sl, 1, 100, 5);
    ngx_rtc_slot_mark(&sl, 5);
    NGX_RTC_CHECK(ngx_rtc_slot_signal(&sl, 1) == NGX_OK);
    ngx_rtc_slot_mark(&sl, 700);
    NGX_RTC_CHECK(ngx_rtc_slot_signal(&sl, 1) == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_slot_clear(&sl, 1) == 1);
    NGX_RTC_CHECK(ngx_rtc_slot_take(&sl, 0) == 1 << 5);
    NGX_RTC_CHECK(ngx_rtc_slot_take(&sl, 700 / NGX_RTC_SLOT_BITS)
                  == (ngx_atomic_uint_t) 1 << (700 % NGX_RTC_SLOT_BITS));
}


/*
 * Producers of a few streams in their own processes, each writing its
 * "ring head" then marking its stream and raising the flag; a worker
 * reading its eventfd, clearing the flag, taking the set and reading the
 * heads of the streams taken.  When the producers stop and the eventfd
 * is drained, the worker has seen every stream's last head (no mark
 * lost), and it never took a stream nobody marked.
 */

#define TEST_PRODUCERS   4
#define TEST_FRAMES      50000


typedef struct {
    ngx_rtc_slot_sh_t         slot;
    volatile uint64_t         head[TEST_PRODUCERS];
} test_pending_sh_t;


static ngx_uint_t
test_pending_stream(ngx_uint_t k)
{
    return k * 300 + 7;        /* in different words, 7 to 907 */
}


static void
test_producer(test_pending_sh_t *sh, ngx_uint_t k, int efd)
{
    uint64_t    one, j;

    one = 1;

    for (j = 1; j <= TEST_FRAMES; j++) {
        sh->head[k] = j;
        ngx_memory_barrier();

        ngx_rtc_slot_mark(&sh->slot, test_pending_stream(k));

        if (ngx_rtc_slot_signal(&sh->slot, 1) == NGX_OK) {
            if (write(efd, &one, sizeof(uint64_t)) != sizeof(uint64_t)) {
                _exit(2);
            }
        }

        if (j % 1000 == 0) {
            usleep(50);
        }
    }

    _exit(0);
}


static ngx_uint_t
test_worker_wakeup(test_pending_sh_t *sh, uint64_t *seen, ngx_uint_t *alien)
{
    ngx_uint_t         w, b, k, taken;
    ngx_atomic_uint_t  bits;

    (void) ngx_rtc_slot_clear(&sh->slot, 1);

    taken = 0;

    for (w = 0; w < NGX_RTC_SLOT_WORDS; w++) {
        bits = ngx_rtc_slot_take(&sh->slot, w);

        for (b = w * NGX_RTC_SLOT_BITS; bits; b++, bits >>= 1) {
            if (!(bits & 1)) {
                continue;
            }

            taken++;

            for (k = 0; k < TEST_PRODUCERS; k++) {
                if (test_pending_stream(k) == b) {
                    break;
                }
            }

            if (k == TEST_PRODUCERS) {
                (*alien)++;
                continue;
            }

            seen[k] = sh->head[k];
        }
    }

    return taken;
}


static void
test_pending_processes(void)
{
    int                 efd, st;
    pid_t               pids[TEST_PRODUCERS];
    uint64_t            v, seen[TEST_PRODUCERS];
    ngx_uint_t          k, running, alien, wakeups, taken;
    struct pollfd       pfd;
    test_pending_sh_t  *sh;

    sh = mmap(NULL, sizeof(test_pending_sh_t), PROT_READ|PROT_WRITE,
              MAP_SHARED|MAP_ANONYMOUS, -1, 0);
    NGX_RTC_CHECK(sh != MAP_FAILED);

    ngx_memzero(sh, sizeof(test_pending_sh_t));
    ngx_memzero(seen, sizeof(seen));
    ngx_rtc_slot_enter(&sh->slot, 1, 1, 0);

    efd = eventfd(0, EFD_NONBLOCK);
    NGX_RTC_CHECK(efd != -1);

    for (k = 0; k < TEST_PRODUCERS; k++) {
        pids[k] = fork();

        if (pids[k] == 0) {
            test_producer(sh, k, efd);
        }
    }

    pfd.fd = efd;
    pfd.events = POLLIN;
    running = TEST_PRODUCERS;
    alien = 0;
    wakeups = 0;
    taken = 0;

    while (running) {
        if (poll(&pfd, 1, 10) == 1 && read(efd, &v, sizeof(uint64_t)) > 0) {
            wakeups++;
            taken += test_worker_wakeup(sh, seen, &alien);
        }

        for (k = 0; k < TEST_PRODUCERS; k++) {
            if (pids[k] && waitpid(pids[k], &st, WNOHANG) == pids[k]) {
                NGX_RTC_CHECK(st == 0);
                pids[k] = 0;
                running--;
            }
        }
    }

    /* the producers are done: what they raised is in the eventfd */

    while (poll(&pfd, 1, 0) == 1 && read(efd, &v, sizeof(uint64_t)) > 0) {
        wakeups++;
        taken += test_worker_wakeup(sh, seen, &alien);
    }

    for (k = 0; k < TEST_PRODUCERS; k++) {
        NGX_RTC_CHECK(seen[k] == TEST_FRAMES);
    }

    NGX_RTC_CHECK(alien == 0);
    NGX_RTC_CHECK(wakeups > 0 && taken <= wakeups * TEST_PRODUCERS);
    NGX_RTC_CHECK(sh->slot.wake == 0);

    (void) close(efd);
    (void) munmap(sh, sizeof(test_pending_sh_t));
}


int
main(void)
{
    test_parse();
    test_identity();
    test_wake();
    test_wake_processes();
    test_pending();
    test_pending_processes();

    return NGX_RTC_UNIT_DONE();
}
