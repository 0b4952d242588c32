/* grep: print lines matching a regular expression (basic; -E extended; -F fixed strings).
 * -i ignore case, -v invert, -c count, -n line numbers, -l names, -q quiet, -s no file
 * errors, -h/-H file names, -x whole line, -w whole words, -m NUM stop, -e PATTERN. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common.h"

static int opt_i, opt_v, opt_c, opt_n, opt_l, opt_q, opt_s, opt_F, opt_E, opt_x, opt_w, names = -1;
static unsigned long long max_count = (unsigned long long)-1;
static ul_regex **res;
static char **pats;
static size_t npats;

static int line_matches(const char *t, size_t len) {
    for (size_t k = 0; k < npats; k++)
        if (ul_regmatch(res[k], t, len)) return 1;
    return 0;
}

/* a fixed string as a basic regular expression */
static char *quote_fixed(const char *s) {
    char *out = malloc(strlen(s) * 2 + 1), *o = out;
    for (; *s; s++) {
        if (strchr(".[]*^$\\", *s)) *o++ = '\\';
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

static void add_patterns(const char *s) {
    /* a pattern with newlines is several patterns */
    char *copy = strdup(s);
    char *p = copy;
    for (;;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        pats = realloc(pats, (npats + 1) * sizeof *pats);
        pats[npats++] = p;
        if (!nl) break;
        p = nl + 1;
    }
}

/* Returns the number of selected lines, or -1 on a read error. */
static long grep_fd(int fd, const char *name) {
    ul_reader r;
    ul_reader_init(&r, fd);
    char *l;
    long len, count = 0;
    unsigned long long lineno = 0;
    while ((unsigned long long)count < max_count && (len = ul_getline(&r, &l)) > 0) {
        lineno++;
        size_t ll = (size_t)len - (l[len - 1] == '\n');
        if (line_matches(l, ll) == opt_v) continue;
        count++;
        if (opt_q) ul_exit(0);
        if (opt_l) break;
        if (opt_c) continue;
        if (names) out_printf("%s:", name);
        if (opt_n) out_printf("%llu:", lineno);
        out_write(l, ll);
        out_putc('\n');
    }
    ul_reader_free(&r);
    if (len < 0) return -1;
    if (opt_c) {
        if (names) out_printf("%s:", name);
        out_printf("%ld\n", count);
    }
    if (opt_l && count) out_printf("%s\n", name);
    return count;
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "grep", "grep [-cEFhHilnqsvwx] [-m NUM] [-e PATTERN]... [PATTERN] [FILE]...");
    int c, have_e = 0;
    while ((c = ul_getopt(argc, argv, "cEFGhHilnqsvwxe:m:", NULL)) != -1) {
        switch (c) {
        case 'E': opt_E = 1, opt_F = 0; break;
        case 'G': opt_E = 0, opt_F = 0; break;
        case 'w': opt_w = 1; break;
        case 'm':
            if (ul_parse_ulong(optarg, &max_count) != 0) ul_usage_error("invalid max count '%s'", optarg);
            break;
        case 'c': opt_c = 1; break;
        case 'F': opt_F = 1, opt_E = 0; break;
        case 'h': names = 0; break;
        case 'H': names = 1; break;
        case 'i': opt_i = 1; break;
        case 'l': opt_l = 1; break;
        case 'n': opt_n = 1; break;
        case 'q': opt_q = 1; break;
        case 's': opt_s = 1; break;
        case 'v': opt_v = 1; break;
        case 'x': opt_x = 1; break;
        case 'e': add_patterns(optarg); have_e = 1; break;
        }
    }
    if (!have_e) {
        if (optind >= argc) ul_usage_error("missing pattern");
        add_patterns(argv[optind++]);
    }
    res = calloc(npats, sizeof *res);
    int flags = (opt_i ? UL_RE_ICASE : 0) | (opt_E ? UL_RE_EXTENDED : 0) | (opt_x ? UL_RE_LINE : 0) |
                (opt_w ? UL_RE_WORD : 0);
    for (size_t k = 0; k < npats; k++) {
        const char *err = "";
        char *pat = opt_F ? quote_fixed(pats[k]) : pats[k];
        res[k] = ul_regcomp(pat, flags, &err);
        if (!res[k]) {
            ul_warn("%s", err);
            ul_exit(2);
        }
    }
    char *dash[] = {"-"};
    char **files = optind < argc ? argv + optind : dash;
    int nfiles = optind < argc ? argc - optind : 1;
    if (names < 0) names = nfiles > 1;
    if (opt_l) names = 0;
    int matched = 0, error = 0;
    for (int i = 0; i < nfiles; i++) {
        const char *shown = strcmp(files[i], "-") == 0 ? "(standard input)" : files[i];
        int fd = ul_open_in(files[i]);
        if (fd < 0) {
            if (!opt_s) ul_file_error(files[i]);
            error = 1;
            continue;
        }
        long n = grep_fd(fd, shown);
        if (n < 0) {
            if (!opt_s) ul_file_error(files[i]);
            error = 1;
        } else if (n > 0) {
            matched = 1;
        }
        if (fd > 0) close(fd);
    }
    ul_exit(error ? 2 : matched ? 0 : 1);
}
