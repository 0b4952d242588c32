/* cut: select fields (-f, with -d DELIM, -s) or characters/bytes (-c, -b) from each line. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

typedef struct {
    unsigned long lo, hi;
} range;

static range *ranges;
static size_t nranges;

static void parse_list(const char *s) {
    char *copy = strdup(s);
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
        range r = {1, (unsigned long)-1};
        char *dash = strchr(tok, '-');
        char *end;
        if (!dash) {
            r.lo = r.hi = strtoul(tok, &end, 10);
            if (*end || end == tok || r.lo == 0) ul_usage_error("invalid field value '%s'", tok);
        } else {
            if (dash != tok) {
                r.lo = strtoul(tok, &end, 10);
                if (end != dash || r.lo == 0) ul_usage_error("invalid field range '%s'", tok);
            }
            if (dash[1]) {
                r.hi = strtoul(dash + 1, &end, 10);
                if (*end || r.hi == 0) ul_usage_error("invalid field range '%s'", tok);
            } else if (dash == tok) {
                ul_usage_error("invalid range with no endpoint: -");
            }
            if (r.hi < r.lo) ul_usage_error("invalid decreasing range '%s'", tok);
        }
        ranges = realloc(ranges, (nranges + 1) * sizeof *ranges);
        ranges[nranges++] = r;
    }
    free(copy);
    if (nranges == 0) ul_usage_error("missing list of fields");
}

static int selected(unsigned long i) {
    for (size_t k = 0; k < nranges; k++)
        if (i >= ranges[k].lo && i <= ranges[k].hi) return 1;
    return 0;
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "cut", "cut -f LIST [-d DELIM] [-s] | -c LIST | -b LIST [FILE]...");
    int mode = 0, only_delim = 0, c;
    char delim = '\t';
    while ((c = ul_getopt(argc, argv, "b:c:f:d:sn", NULL)) != -1) {
        if (c == 'b' || c == 'c' || c == 'f') {
            if (mode) ul_usage_error("only one type of list may be specified");
            mode = c;
            parse_list(optarg);
        } else if (c == 'd') {
            if (strlen(optarg) > 1) ul_usage_error("the delimiter must be a single character");
            delim = optarg[0] ? optarg[0] : '\n';
        } else if (c == 's') {
            only_delim = 1;
        }
    }
    if (!mode) ul_usage_error("you must specify a list of bytes, characters, or fields");
    char *dash[] = {"-"};
    char **files = optind < argc ? argv + optind : dash;
    int nfiles = optind < argc ? argc - optind : 1;
    int status = 0;
    for (int f = 0; f < nfiles; f++) {
        int fd = ul_open_in(files[f]);
        if (fd < 0) {
            status = ul_file_error(files[f]);
            continue;
        }
        ul_reader r;
        ul_reader_init(&r, fd);
        char *l;
        long len;
        while ((len = ul_getline(&r, &l)) > 0) {
            size_t ll = (size_t)len - (l[len - 1] == '\n');
            if (mode != 'f') {
                for (size_t i = 0; i < ll; i++)
                    if (selected(i + 1)) out_putc(l[i]);
                out_putc('\n');
                continue;
            }
            if (!memchr(l, delim, ll)) {
                if (!only_delim) {
                    out_write(l, ll);
                    out_putc('\n');
                }
                continue;
            }
            unsigned long field = 1;
            int first = 1;
            size_t start = 0;
            for (size_t i = 0; i <= ll; i++) {
                if (i == ll || l[i] == delim) {
                    if (selected(field)) {
                        if (!first) out_putc(delim);
                        out_write(l + start, i - start);
                        first = 0;
                    }
                    field++;
                    start = i + 1;
                }
            }
            out_putc('\n');
        }
        if (len < 0) status = ul_file_error(files[f]);
        ul_reader_free(&r);
        if (fd > 0) close(fd);
    }
    ul_exit(status);
}
