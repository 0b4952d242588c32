/* tail: the last lines (-n N, -N) or bytes (-c N) of files; +N counts from the start. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv) {
    ul_init(argc, argv, "tail", "tail [-qv] [-n [+]LINES | -c [+]BYTES | -LINES] [FILE]...");
    unsigned long long count = 10;
    int bytes = 0, from_start = 0, verbose = -1;
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
            const char *s = optarg;
            from_start = *s == '+';
            if (*s == '+' || *s == '-') s++;
            if (ul_parse_ulong(s, &count) != 0)
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
        char *data;
        size_t len;
        int fd = ul_open_in(files[i]);
        if (fd < 0 || ul_read_all(fd, &data, &len) < 0) {
            status = ul_file_error(files[i]);
            if (fd > 0) close(fd);
            continue;
        }
        if (fd > 0) close(fd);
        if (verbose) {
            out_printf("%s==> %s <==\n", printed ? "\n" : "",
                       strcmp(files[i], "-") == 0 ? "standard input" : files[i]);
            printed = 1;
        }
        size_t start;
        if (bytes) {
            if (from_start) start = count == 0 ? 0 : (count - 1 < len ? (size_t)count - 1 : len);
            else start = count < len ? len - (size_t)count : 0;
        } else if (from_start) {
            unsigned long long line = 1;
            for (start = 0; start < len && line < count; start++)
                if (data[start] == '\n') line++;
        } else {
            /* walk back over COUNT newlines, not counting a final one */
            size_t end = len > 0 && data[len - 1] == '\n' ? len - 1 : len;
            unsigned long long seen = 0;
            start = count == 0 ? len : end;
            while (count > 0 && start > 0) {
                if (data[start - 1] == '\n' && ++seen == count) break;
                start--;
            }
        }
        out_write(data + start, len - start);
        free(data);
    }
    ul_exit(status);
}
