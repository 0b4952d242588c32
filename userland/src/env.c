/* env: print the environment, changed by -i, -u NAME and NAME=VALUE.
 * WASI cannot start programs, so a COMMAND operand is reported as not runnable. */
#include <stdlib.h>
#include <string.h>

#include "common.h"

extern char **environ;

int main(int argc, char **argv) {
    ul_init(argc, argv, "env", "env [-i0] [-u NAME] [NAME=VALUE]... [COMMAND [ARG]...]");
    int c, nul = 0;
    /* '+': stop at the first operand, the command's own options are its own */
    while ((c = ul_getopt(argc, argv, "+iu:0", NULL)) != -1) {
        if (c == 'i') {
            static char *empty[] = {NULL};
            environ = empty;
        } else if (c == 'u') {
            unsetenv(optarg);
        } else if (c == '0') {
            nul = 1;
        }
    }
    int i = optind;
    if (i < argc && strcmp(argv[i], "-") == 0) {
        static char *empty[] = {NULL};
        environ = empty;
        i++;
    }
    for (; i < argc && strchr(argv[i], '='); i++) {
        char *eq = strchr(argv[i], '=');
        if (eq == argv[i]) ul_die("cannot set '%s': Invalid argument", argv[i]);
        *eq = '\0';
        setenv(argv[i], eq + 1, 1);
        *eq = '=';
    }
    if (i < argc) {
        ul_warn("'%s': cannot run programs: WASI has no way to start a process", argv[i]);
        ul_exit(126);
    }
    for (char **e = environ; e && *e; e++) {
        out_puts(*e);
        out_putc(nul ? '\0' : '\n');
    }
    ul_exit(0);
}
