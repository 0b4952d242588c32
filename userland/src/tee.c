/* tee: copy stdin to stdout and to files (-a appends). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv) {
    ul_init(argc, argv, "tee", "tee [-ai] [FILE]...");
    int append = 0, c;
    while ((c = ul_getopt(argc, argv, "ai", NULL)) != -1) {
        if (c == 'a') append = 1;
    }
    int n = argc - optind, status = 0;
    int *fds = calloc((size_t)n + 1, sizeof(int));
    if (!fds) ul_die("out of memory");
    for (int i = 0; i < n; i++) {
        const char *name = argv[optind + i];
        if (strcmp(name, "-") == 0) {
            fds[i] = 1;
            continue;
        }
        fds[i] = open(name, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0666);
        if (fds[i] < 0) status = ul_file_error(name);
    }
    char buf[16384];
    for (;;) {
        ssize_t r = read(0, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            status = ul_file_error("standard input");
            break;
        }
        if (r == 0) break;
        ul_write_fd(1, buf, (size_t)r, "standard output");
        for (int i = 0; i < n; i++) {
            if (fds[i] < 0) continue;
            const char *p = buf;
            size_t left = (size_t)r;
            while (left > 0) {
                ssize_t w = write(fds[i], p, left);
                if (w < 0 && errno == EINTR) continue;
                if (w < 0) {
                    if (errno == EPIPE) ul_exit(141);
                    status = ul_file_error(argv[optind + i]);
                    close(fds[i]);
                    fds[i] = -1;
                    break;
                }
                p += w;
                left -= (size_t)w;
            }
        }
    }
    for (int i = 0; i < n; i++)
        if (fds[i] > 1 && close(fds[i]) != 0) status = ul_file_error(argv[optind + i]);
    ul_exit(status);
}
