/* pwd: WASI has no current directory; the shell keeps it in $PWD. */
#include <stdlib.h>

#include "common.h"

int main(int argc, char **argv) {
    ul_init(argc, argv, "pwd", "pwd [-LP]");
    while (ul_getopt(argc, argv, "LP", NULL) != -1) {
    }
    if (optind < argc) ul_usage_error("too many arguments");
    const char *pwd = getenv("PWD");
    out_printf("%s\n", pwd && pwd[0] == '/' ? pwd : "/");
    ul_exit(0);
}
