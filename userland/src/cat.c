/* cat: copy files (or stdin) to stdout. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static int number_lines;
static unsigned long long lineno = 0;
static int at_line_start = 1;

static int cat_fd(int fd) {
    char buf[16384];
    for (;;) {
        ssize_t n = ul_read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) return 0;
        if (!number_lines) {
            out_write(buf, (size_t)n);
            continue;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (at_line_start) out_printf("%6llu\t", ++lineno);
            out_putc(buf[i]);
            at_line_start = buf[i] == '\n';
        }
    }
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "cat", "cat [-nu] [FILE]...");
    int c;
    while ((c = ul_getopt(argc, argv, "nu", NULL)) != -1) {
        if (c == 'n') number_lines = 1;
    }
    int status = 0;
    char *dash[] = {"-"};
    char **files = optind < argc ? argv + optind : dash;
    int nfiles = optind < argc ? argc - optind : 1;
    for (int i = 0; i < nfiles; i++) {
        int fd = ul_open_in(files[i]);
        if (fd < 0 || cat_fd(fd) < 0) status = ul_file_error(files[i]);
        if (fd > 0) close(fd);
    }
    ul_exit(status);
}
