/* mv: rename files; into DIRECTORY when there are several sources or it is a directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"

static int verbose, noclobber;

static int move(const char *src, const char *dst) {
    struct stat st;
    if (lstat(src, &st) != 0) {
        ul_warn("cannot stat '%s': %s", src, strerror(errno));
        return 1;
    }
    if (noclobber && lstat(dst, &st) == 0) return 0;
    if (rename(src, dst) != 0) {
        ul_warn("cannot move '%s' to '%s': %s", src, dst, strerror(errno));
        return 1;
    }
    if (verbose) out_printf("renamed '%s' -> '%s'\n", src, dst);
    return 0;
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "mv", "mv [-fnv] SOURCE DEST | mv [-fnv] SOURCE... DIRECTORY");
    int c;
    while ((c = ul_getopt(argc, argv, "fnv", NULL)) != -1) {
        if (c == 'v') verbose = 1;
        else if (c == 'n') noclobber = 1;
        else if (c == 'f') noclobber = 0;
    }
    int n = argc - optind;
    if (n < 1) ul_usage_error("missing file operand");
    if (n < 2) ul_usage_error("missing destination file operand after '%s'", argv[optind]);
    const char *last = argv[argc - 1];
    if (!ul_dest_is_dir(argc, argv)) ul_exit(move(argv[optind], last));
    int status = 0;
    for (int i = optind; i < argc - 1; i++) {
        char *src = strdup(argv[i]);
        size_t len = strlen(src);
        while (len > 1 && src[len - 1] == '/') src[--len] = '\0';
        const char *b = strrchr(src, '/');
        b = b ? b + 1 : src;
        char *dst = malloc(strlen(last) + strlen(b) + 2);
        sprintf(dst, "%s/%s", last, b);
        status |= move(src, dst);
        free(dst);
        free(src);
    }
    ul_exit(status);
}
