/* uniq: collapse adjacent equal lines; -c count, -d only repeated, -u only unique, -i fold case. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common.h"

static int opt_c, opt_d, opt_u, opt_i;

static int equal(const char *a, size_t al, const char *b, size_t bl) {
    if (al != bl) return 0;
    return opt_i ? strncasecmp(a, b, al) == 0 : memcmp(a, b, al) == 0;
}

static void emit(const char *s, size_t len, unsigned long long count) {
    if ((opt_d && count < 2) || (opt_u && count > 1)) return;
    if (opt_c) out_printf("%7llu ", count);
    out_write(s, len);
    out_putc('\n');
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "uniq", "uniq [-cdiu] [INPUT [OUTPUT]]");
    int c;
    while ((c = ul_getopt(argc, argv, "cdiu", NULL)) != -1) {
        if (c == 'c') opt_c = 1;
        else if (c == 'd') opt_d = 1;
        else if (c == 'i') opt_i = 1;
        else if (c == 'u') opt_u = 1;
    }
    int n = argc - optind;
    if (n > 2) ul_usage_error("extra operand '%s'", argv[optind + 2]);
    const char *in = n >= 1 ? argv[optind] : "-";
    int fd = ul_open_in(in);
    if (fd < 0) ul_exit(ul_file_error(in));
    if (n == 2 && strcmp(argv[optind + 1], "-") != 0) {
        int ofd = open(argv[optind + 1], O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (ofd < 0) ul_exit(ul_file_error(argv[optind + 1]));
        ul_out_fd = ofd;
    }
    ul_reader r;
    ul_reader_init(&r, fd);
    char *prev = NULL, *l;
    size_t prev_len = 0, prev_cap = 0;
    unsigned long long count = 0;
    long len;
    while ((len = ul_getline(&r, &l)) > 0) {
        size_t ll = (size_t)len - (l[len - 1] == '\n');
        if (count > 0 && equal(prev, prev_len, l, ll)) {
            count++;
            continue;
        }
        if (count > 0) emit(prev, prev_len, count);
        if (ll > prev_cap) {
            prev_cap = ll * 2 + 16;
            prev = realloc(prev, prev_cap);
            if (!prev) ul_die("out of memory");
        }
        memcpy(prev, l, ll);
        prev_len = ll;
        count = 1;
    }
    if (len < 0) ul_exit(ul_file_error(in));
    if (count > 0) emit(prev, prev_len, count);
    ul_exit(0);
}
