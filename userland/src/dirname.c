/* dirname: the directory part of each name. */
#include <string.h>

#include "common.h"

static void print_dir(const char *name) {
    size_t len = strlen(name);
    while (len > 1 && name[len - 1] == '/') len--; /* trailing slashes */
    while (len > 0 && name[len - 1] != '/') len--;  /* last component */
    if (len == 0) {
        out_puts(".\n");
        return;
    }
    while (len > 1 && name[len - 1] == '/') len--; /* slashes before it */
    out_write(name, len);
    out_putc('\n');
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "dirname", "dirname NAME...");
    while (ul_getopt(argc, argv, "", NULL) != -1) {
    }
    if (optind >= argc) ul_usage_error("missing operand");
    for (int i = optind; i < argc; i++) print_dir(argv[i]);
    ul_exit(0);
}
