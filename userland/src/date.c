/* date: print the time in UTC (WASI has no time zones) in the default or +FORMAT form.
 * -d @SECONDS shows that time, -r FILE its modification time; -I[date|hours|minutes|seconds]
 * and -R are the ISO 8601 and RFC 5322 forms; -u is accepted; %N is nanoseconds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common.h"

int main(int argc, char **argv) {
    ul_init(argc, argv, "date", "date [-uR] [-I[TIMESPEC]] [-d @SECONDS | -r FILE] [+FORMAT]");
    int c;
    struct timespec ts;
    int have_time = 0;
    const char *fmt = "%a %b %e %H:%M:%S UTC %Y";
    while ((c = ul_getopt(argc, argv, "ud:r:RI::", NULL)) != -1) {
        if (c == 'R') {
            fmt = "%a, %d %b %Y %H:%M:%S +0000";
        } else if (c == 'I') {
            const char *spec = optarg ? optarg : "date";
            if (strcmp(spec, "date") == 0) fmt = "%Y-%m-%d";
            else if (strcmp(spec, "hours") == 0) fmt = "%Y-%m-%dT%H+00:00";
            else if (strcmp(spec, "minutes") == 0) fmt = "%Y-%m-%dT%H:%M+00:00";
            else if (strcmp(spec, "seconds") == 0) fmt = "%Y-%m-%dT%H:%M:%S+00:00";
            else if (strcmp(spec, "ns") == 0) fmt = "%Y-%m-%dT%H:%M:%S,%N+00:00";
            else ul_usage_error("invalid argument '%s' for '--iso-8601'", spec);
        } else if (c == 'r') {
            struct stat st;
            if (stat(optarg, &st) != 0) ul_exit(ul_file_error(optarg));
            ts = st.st_mtim;
            have_time = 1;
        } else if (c == 'd') {
            char *end;
            if (optarg[0] != '@') ul_usage_error("invalid date '%s' (only @SECONDS is understood)", optarg);
            errno = 0;
            ts.tv_sec = (time_t)strtoll(optarg + 1, &end, 10);
            ts.tv_nsec = 0;
            if (*end || end == optarg + 1 || errno) ul_usage_error("invalid date '%s'", optarg);
            have_time = 1;
        }
    }
    if (optind < argc) {
        if (argv[optind][0] != '+') ul_usage_error("invalid date '%s' (setting the time is not supported)", argv[optind]);
        fmt = argv[optind] + 1;
        if (optind + 1 < argc) ul_usage_error("extra operand '%s'", argv[optind + 1]);
    }
    if (!have_time && clock_gettime(CLOCK_REALTIME, &ts) != 0) ul_die("cannot read the clock: %s", strerror(errno));
    struct tm tm;
    if (!gmtime_r(&ts.tv_sec, &tm)) ul_die("time %lld is out of range", (long long)ts.tv_sec);
    /* expand the extensions strftime lacks (%N, %s) first, then let strftime do the rest */
    size_t fl = strlen(fmt);
    char *f2 = malloc(fl * 20 + 1);
    size_t o = 0;
    for (size_t i = 0; i < fl; i++) {
        if (fmt[i] == '%' && fmt[i + 1] == 'N') {
            o += (size_t)sprintf(f2 + o, "%09ld", (long)ts.tv_nsec);
            i++;
        } else if (fmt[i] == '%' && fmt[i + 1] == 's') {
            o += (size_t)sprintf(f2 + o, "%lld", (long long)ts.tv_sec);
            i++;
        } else if (fmt[i] == '%' && fmt[i + 1] == ':' && fmt[i + 2] == 'z') {
            o += (size_t)sprintf(f2 + o, "+00:00");
            i += 2;
        } else if (fmt[i] == '%' && fmt[i + 1] == 'Z') {
            o += (size_t)sprintf(f2 + o, "UTC");
            i++;
        } else if (fmt[i] == '%' && fmt[i + 1] == '%') {
            f2[o++] = '%';
            f2[o++] = '%';
            i++;
        } else {
            f2[o++] = fmt[i];
        }
    }
    f2[o] = '\0';
    size_t cap = o * 8 + 256;
    char *out = malloc(cap);
    size_t n = o ? strftime(out, cap, f2, &tm) : 0;
    out_write(out, n);
    out_putc('\n');
    ul_exit(0);
}
