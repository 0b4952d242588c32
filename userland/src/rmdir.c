/* rmdir: remove empty directories; -p removes emptied parents too. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv) {
    ul_init(argc, argv, "rmdir", "rmdir [-p] DIRECTORY...");
    int parents = 0, c;
    while ((c = ul_getopt(argc, argv, "pv", NULL)) != -1) {
        if (c == 'p') parents = 1;
    }
    if (optind >= argc) ul_usage_error("missing operand");
    int status = 0;
    for (int i = optind; i < argc; i++) {
        char *path = argv[i];
        for (;;) {
            if (rmdir(path) != 0) {
                ul_warn("failed to remove '%s': %s", path, strerror(errno));
                status = 1;
                break;
            }
            if (!parents) break;
            char *slash = strrchr(path, '/');
            while (slash && slash > path && slash[1] == '\0') { /* trailing slashes */
                *slash = '\0';
                slash = strrchr(path, '/');
            }
            if (!slash || slash == path) break;
            while (slash > path && slash[-1] == '/') slash--;
            *slash = '\0';
        }
    }
    ul_exit(status);
}
