/* head: the first lines (-n N, or -N) or bytes (-c N) of files or stdin; -n -N / -c -N
 * print all but the last N. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static int head_lines(int fd, unsigned long long n) {
    char buf[16384];
    while (n > 0) {
        ssize_t r = ul_read(fd, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        size_t i = 0;
        for (; i < (size_t)r && n > 0; i++)
            if (buf[i] == '\n') n--;
        out_write(buf, i);
    }
    return 0;
}

static int head_bytes(int fd, unsigned long long n) {
    char buf[16384];
    while (n > 0) {
        size_t want = n < sizeof buf ? (size_t)n : sizeof buf;
        ssize_t r = ul_read(fd, buf, want);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        out_write(buf, (size_t)r);
        n -= (unsigned long long)r;
    }
    return 0;
}

/* all but the last n lines (or bytes) */
static int head_all_but(int fd, unsigned long long n, int bytes) {
    char *data;
    size_t len;
    if (ul_read_all(fd, &data, &len) < 0) return -1;
    size_t end = len;
    if (bytes) {
        end = n < len ? len - (size_t)n : 0;
    } else {
        size_t scan = len > 0 && data[len - 1] == '\n' ? len - 1 : len;
        unsigned long long seen = 0;
        end = n == 0 ? len : 0;
        for (size_t i = scan; n > 0 && i > 0; i--) {
            if (data[i - 1] == '\n' && ++seen == n) {
                end = i;
                break;
            }
        }
    }
    out_write(data, end);
    free(data);
    return 0;
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "head", "head [-qv] [-n [-]LINES | -c [-]BYTES | -LINES] [FILE]...");
    unsigned long long count = 10;
    int bytes = 0, verbose = -1, all_but = 0;
    /* the old form -N means -n N */
    if (argc > 1 && argv[1][0] == '-' && isdigit((unsigned char)argv[1][1])) {
        if (ul_parse_ulong(argv[1] + 1, &count) != 0)
            ul_usage_error("invalid number of lines: '%s'", argv[1] + 1);
        argv[1] = argv[0];
        argv++;
        argc--;
    }
    int c;
    while ((c = ul_getopt(argc, argv, "n:c:qv", NULL)) != -1) {
        if (c == 'n' || c == 'c') {
            all_but = optarg[0] == '-';
            if (ul_parse_ulong(optarg + all_but, &count) != 0)
                ul_usage_error("invalid number of %s: '%s'", c == 'n' ? "lines" : "bytes", optarg);
            bytes = c == 'c';
        } else if (c == 'q') {
            verbose = 0;
        } else if (c == 'v') {
            verbose = 1;
        }
    }
    char *dash[] = {"-"};
    char **files = optind < argc ? argv + optind : dash;
    int nfiles = optind < argc ? argc - optind : 1;
    if (verbose < 0) verbose = nfiles > 1;
    int status = 0, printed = 0;
    for (int i = 0; i < nfiles; i++) {
        int fd = ul_open_in(files[i]);
        if (fd < 0) {
            status = ul_file_error(files[i]);
            continue;
        }
        if (verbose) {
            out_printf("%s==> %s <==\n", printed ? "\n" : "",
                       strcmp(files[i], "-") == 0 ? "standard input" : files[i]);
            printed = 1;
        }
        int r = all_but ? head_all_but(fd, count, bytes) : bytes ? head_bytes(fd, count) : head_lines(fd, count);
        if (r < 0)
            status = ul_file_error(files[i]);
        if (fd > 0) close(fd);
    }
    ul_exit(status);
}
