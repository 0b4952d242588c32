/* mkdir: create directories; -p creates parents and accepts existing ones. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"

static int make(char *path, int parents) {
    if (!parents) {
        if (mkdir(path, 0777) == 0) return 0;
        ul_warn("cannot create directory '%s': %s", path, strerror(errno));
        return 1;
    }
    /* create each prefix in turn; an existing directory is fine */
    size_t len = strlen(path);
    for (size_t i = 1; i <= len; i++) {
        if (i < len && path[i] != '/') continue;
        if (i < len && path[i - 1] == '/') continue;
        char save = path[i];
        path[i] = '\0';
        struct stat st;
        if (mkdir(path, 0777) != 0) {
            int e = errno;
            if (!(stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
                ul_warn("cannot create directory '%s': %s", path, strerror(e == EEXIST ? ENOTDIR : e));
                path[i] = save;
                return 1;
            }
        }
        path[i] = save;
    }
    return 0;
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "mkdir", "mkdir [-p] [-m MODE] DIRECTORY...");
    int parents = 0, c;
    while ((c = ul_getopt(argc, argv, "pm:v", NULL)) != -1) {
        if (c == 'p') parents = 1;
    }
    if (optind >= argc) ul_usage_error("missing operand");
    int status = 0;
    for (int i = optind; i < argc; i++) status |= make(argv[i], parents);
    ul_exit(status);
}
