/* touch: create files or set their times to now; -c does not create. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv) {
    ul_init(argc, argv, "touch", "touch [-acm] FILE...");
    int nocreate = 0, c;
    while ((c = ul_getopt(argc, argv, "acm", NULL)) != -1) {
        if (c == 'c') nocreate = 1;
    }
    if (optind >= argc) ul_usage_error("missing file operand");
    int status = 0;
    for (int i = optind; i < argc; i++) {
        if (utimensat(AT_FDCWD, argv[i], NULL, 0) == 0) continue;
        if (errno != ENOENT) {
            ul_warn("setting times of '%s': %s", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        if (nocreate) continue;
        int fd = open(argv[i], O_WRONLY | O_CREAT, 0666);
        if (fd < 0) {
            ul_warn("cannot touch '%s': %s", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        close(fd);
    }
    ul_exit(status);
}
