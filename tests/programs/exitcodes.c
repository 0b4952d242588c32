/* Exit statuses: return from main, exit(), _Exit(), abort() and a trap, chosen by argv[1]. */
#include <stdlib.h>
#include <unistd.h>

#include "transcript.h"

static int depth(int n) {
    /* a recursion the optimizer cannot fold away, to trap with frames on the stack */
    volatile int here = n;
    if (here == 0)
        __builtin_trap();
    return depth(here - 1) + 1;
}

static void at_exit_handler(void) {
    printf("atexit handler ran\n");
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "return";
    int code = argc > 2 ? atoi(argv[2]) : 0;
    atexit(at_exit_handler);
    printf("mode %s %d\n", mode, code);
    fputs("stderr before exit\n", stderr);
    fflush(stdout);
    if (!strcmp(mode, "return"))
        return code;
    if (!strcmp(mode, "exit"))
        exit(code);
    if (!strcmp(mode, "_Exit")) {
        printf("buffered, never flushed\n");
        _Exit(code);
    }
    if (!strcmp(mode, "abort"))
        abort();
    if (!strcmp(mode, "trap"))
        return depth(code);
    printf("unknown mode\n");
    return 99;
}
