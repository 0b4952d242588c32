/* ln: make hard links, or symbolic links with -s; -f replaces existing names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static int symbolic, force;

static int link_one(const char *target, const char *name) {
    struct stat st;
    if (!symbolic && stat(target, &st) != 0) {
        ul_warn("failed to access '%s': %s", target, strerror(errno));
        return 1;
    }
    if (force) unlink(name);
    int r = symbolic ? symlink(target, name) : link(target, name);
    if (r == 0) return 0;
    if (symbolic) ul_warn("failed to create symbolic link '%s': %s", name, strerror(errno));
    else ul_warn("failed to create hard link '%s' => '%s': %s", name, target, strerror(errno));
    return 1;
}

static char *join(const char *dir, const char *target) {
    const char *base = strrchr(target, '/');
    base = base ? base + 1 : target;
    char *p = malloc(strlen(dir) + strlen(base) + 2);
    sprintf(p, "%s/%s", dir, base);
    return p;
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "ln", "ln [-fs] TARGET [LINK_NAME] | ln [-fs] TARGET... DIRECTORY");
    int c;
    while ((c = ul_getopt(argc, argv, "fsnv", NULL)) != -1) {
        if (c == 's') symbolic = 1;
        else if (c == 'f') force = 1;
    }
    int n = argc - optind;
    if (n < 1) ul_usage_error("missing file operand");
    if (n == 1) {
        char *name = join(".", argv[optind]);
        ul_exit(link_one(argv[optind], name + 2));
    }
    const char *last = argv[argc - 1];
    if (!ul_dest_is_dir(argc, argv)) ul_exit(link_one(argv[optind], last));
    int status = 0;
    for (int i = optind; i < argc - 1; i++) {
        char *name = join(last, argv[i]);
        status |= link_one(argv[i], name);
        free(name);
    }
    ul_exit(status);
}
