/*
 * Copyright (C) nginx-rtc authors
 *
 * Runs one fuzz harness over files, without libFuzzer: each argument is a
 * file or a directory (its regular files, in name order).  Built with gcc,
 * ASan and UBSan by "make fuzz-replay", so every corpus input, the seeds
 * and every crash ever found, is replayed by "make test".  An input that
 * takes longer than 10 s counts as a hang.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <dirent.h>
#include <stdio.h>

#include "ngx_rtc_fuzz.h"


#define NGX_RTC_REPLAY_MAX    (16 * 1024 * 1024)


static const char  *ngx_rtc_replay_current;


static void
ngx_rtc_replay_alarm(int signo)
{
    static const char  msg[] = "replay: an input hung: ";

    (void) write(2, msg, sizeof(msg) - 1);
    (void) write(2, ngx_rtc_replay_current, strlen(ngx_rtc_replay_current));
    (void) write(2, "\n", 1);
    _exit(2);
}


static int
ngx_rtc_replay_file(const char *path)
{
    u_char       *buf;
    FILE         *f;
    size_t        n;
    struct stat   st;

    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "replay: %s: not a regular file\n", path);
        return -1;
    }

    if (st.st_size > NGX_RTC_REPLAY_MAX) {
        fprintf(stderr, "replay: %s: too large\n", path);
        return -1;
    }

    f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }

    /* exactly the file's size, so that a read past the end is caught */

    buf = malloc(st.st_size ? st.st_size : 1);
    if (buf == NULL) {
        fclose(f);
        return -1;
    }

    n = fread(buf, 1, st.st_size, f);
    fclose(f);

    if (n != (size_t) st.st_size) {
        fprintf(stderr, "replay: %s: short read\n", path);
        free(buf);
        return -1;
    }

    ngx_rtc_replay_current = path;
    alarm(10);

    (void) LLVMFuzzerTestOneInput(buf, n);

    alarm(0);
    free(buf);

    return 0;
}


static int
ngx_rtc_replay_cmp(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}


int
main(int argc, char **argv)
{
    int              i, k, n, files, failed;
    char             path[4096];
    struct stat      st;
    struct dirent  **list;

    signal(SIGALRM, ngx_rtc_replay_alarm);

    files = 0;
    failed = 0;

    for (i = 1; i < argc; i++) {

        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            failed++;
            continue;
        }

        if (!S_ISDIR(st.st_mode)) {
            failed += (ngx_rtc_replay_file(argv[i]) != 0);
            files++;
            continue;
        }

        n = scandir(argv[i], &list, NULL, ngx_rtc_replay_cmp);
        if (n < 0) {
            perror(argv[i]);
            failed++;
            continue;
        }

        for (k = 0; k < n; k++) {
            if (list[k]->d_name[0] != '.') {
                snprintf(path, sizeof(path), "%s/%s", argv[i],
                         list[k]->d_name);

                if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                    failed += (ngx_rtc_replay_file(path) != 0);
                    files++;
                }
            }

            free(list[k]);
        }

        free(list);
    }

    printf("%d inputs replayed, %d unreadable\n", files, failed);

    return (failed || files == 0) ? 1 : 0;
}
