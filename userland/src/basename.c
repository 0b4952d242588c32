/* basename: strip directories (and a suffix) from names. */
#include <stdlib.h>
#include <string.h>

#include "common.h"

static void print_base(const char *name, const char *suffix) {
    size_t len = strlen(name);
    while (len > 1 && name[len - 1] == '/') len--;
    size_t start = len;
    while (start > 0 && name[start - 1] != '/') start--;
    if (len == 1 && name[0] == '/') start = 0;
    size_t n = len - start;
    if (suffix && n > strlen(suffix) && !(n == 1 && name[start] == '/')) {
        size_t sl = strlen(suffix);
        if (memcmp(name + len - sl, suffix, sl) == 0) n -= sl;
    }
    out_write(name + start, n);
    out_putc('\n');
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "basename", "basename NAME [SUFFIX] | basename -a [-s SUFFIX] NAME...");
    int all = 0, c;
    const char *suffix = NULL;
    while ((c = ul_getopt(argc, argv, "as:", NULL)) != -1) {
        if (c == 'a') all = 1;
        else if (c == 's') {
            suffix = optarg;
            all = 1;
        }
    }
    int n = argc - optind;
    if (n < 1) ul_usage_error("missing operand");
    if (!all) {
        if (n > 2) ul_usage_error("extra operand '%s'", argv[optind + 2]);
        print_base(argv[optind], n == 2 ? argv[optind + 1] : NULL);
    } else {
        for (int i = optind; i < argc; i++) print_base(argv[i], suffix);
    }
    ul_exit(0);
}
