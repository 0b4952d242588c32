/* sleep: pause for the sum of the given durations (NUMBER[smhd]). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

int main(int argc, char **argv) {
    ul_init(argc, argv, "sleep", "sleep NUMBER[smhd]...");
    if (argc > 1 && strcmp(argv[1], "--") == 0) {
        argv++;
        argc--;
    }
    if (argc < 2) ul_usage_error("missing operand");
    double total = 0;
    for (int i = 1; i < argc; i++) {
        char *end;
        errno = 0;
        double v = strtod(argv[i], &end);
        double mult = 1;
        if (*end == 'm') mult = 60, end++;
        else if (*end == 'h') mult = 3600, end++;
        else if (*end == 'd') mult = 86400, end++;
        else if (*end == 's') end++;
        if (end == argv[i] || *end || errno || v < 0 || v != v)
            ul_usage_error("invalid time interval '%s'", argv[i]);
        total += v * mult;
    }
    struct timespec ts;
    if (total > 1e12) total = 1e12;
    ts.tv_sec = (time_t)total;
    ts.tv_nsec = (long)((total - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0) {
        if (errno != EINTR) ul_die("cannot sleep: %s", strerror(errno));
    }
    ul_exit(0);
}
