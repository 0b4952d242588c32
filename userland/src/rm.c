/* rm: remove files; -r removes directories and their contents; -f ignores missing files. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static int recursive, force, verbose;

static int remove_path(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (force && errno == ENOENT) return 0;
        ul_warn("cannot remove '%s': %s", path, strerror(errno));
        return 1;
    }
    if (S_ISDIR(st.st_mode)) {
        if (!recursive) {
            ul_warn("cannot remove '%s': Is a directory", path);
            return 1;
        }
        DIR *d = opendir(path);
        if (!d) {
            ul_warn("cannot remove '%s': %s", path, strerror(errno));
            return 1;
        }
        int status = 0;
        struct dirent *e;
        size_t plen = strlen(path);
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char *child = malloc(plen + strlen(e->d_name) + 2);
            sprintf(child, "%s%s%s", path, plen && path[plen - 1] == '/' ? "" : "/", e->d_name);
            status |= remove_path(child);
            free(child);
        }
        closedir(d);
        if (rmdir(path) != 0) {
            ul_warn("cannot remove '%s': %s", path, strerror(errno));
            return 1;
        }
        if (verbose) out_printf("removed directory '%s'\n", path);
        return status;
    }
    if (unlink(path) != 0) {
        ul_warn("cannot remove '%s': %s", path, strerror(errno));
        return 1;
    }
    if (verbose) out_printf("removed '%s'\n", path);
    return 0;
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "rm", "rm [-frRv] FILE...");
    int c;
    while ((c = ul_getopt(argc, argv, "frRidv", NULL)) != -1) {
        if (c == 'f') force = 1;
        else if (c == 'r' || c == 'R') recursive = 1;
        else if (c == 'v') verbose = 1;
    }
    if (optind >= argc && !force) ul_usage_error("missing operand");
    int status = 0;
    for (int i = optind; i < argc; i++) {
        const char *base = strrchr(argv[i], '/');
        base = base ? base + 1 : argv[i];
        if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
            ul_warn("refusing to remove '.' or '..' directory: skipping '%s'", argv[i]);
            status = 1;
            continue;
        }
        status |= remove_path(argv[i]);
    }
    ul_exit(status);
}
