/* stat: show file status; -c FORMAT (%n %N %s %F %h %i %d %X %Y %Z %x %y %z %%), -L follows links.
 * WASI has no owners or permissions, so those fields are absent. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char *type_name(const struct stat *st) {
    mode_t m = st->st_mode;
    if (S_ISREG(m)) return st->st_size == 0 ? "regular empty file" : "regular file";
    if (S_ISDIR(m)) return "directory";
    if (S_ISLNK(m)) return "symbolic link";
    if (S_ISCHR(m)) return "character special file";
    if (S_ISBLK(m)) return "block special file";
    if (S_ISFIFO(m)) return "fifo";
    if (S_ISSOCK(m)) return "socket";
    return "unknown";
}

static void put_time(const struct timespec *ts) {
    struct tm tm;
    time_t t = ts->tv_sec;
    gmtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    out_printf("%s.%09ld +0000", buf, (long)ts->tv_nsec);
}

static void put_name(const char *name, const struct stat *st, int quoted) {
    if (!quoted) {
        out_puts(name);
        return;
    }
    out_printf("'%s'", name);
    if (S_ISLNK(st->st_mode)) {
        char target[4096];
        ssize_t n = readlink(name, target, sizeof target - 1);
        if (n >= 0) {
            target[n] = '\0';
            out_printf(" -> '%s'", target);
        }
    }
}

static void formatted(const char *fmt, const char *name, const struct stat *st) {
    for (const char *p = fmt; *p; p++) {
        if (*p == '\\' && p[1] == 'n') {
            out_putc('\n');
            p++;
            continue;
        }
        if (*p != '%' || !p[1]) {
            out_putc(*p);
            continue;
        }
        switch (*++p) {
        case 'n': put_name(name, st, 0); break;
        case 'N': put_name(name, st, 1); break;
        case 's': out_printf("%lld", (long long)st->st_size); break;
        case 'F': out_puts(type_name(st)); break;
        case 'h': out_printf("%lu", (unsigned long)st->st_nlink); break;
        case 'i': out_printf("%llu", (unsigned long long)st->st_ino); break;
        case 'd': out_printf("%llu", (unsigned long long)st->st_dev); break;
        case 'X': out_printf("%lld", (long long)st->st_atim.tv_sec); break;
        case 'Y': out_printf("%lld", (long long)st->st_mtim.tv_sec); break;
        case 'Z': out_printf("%lld", (long long)st->st_ctim.tv_sec); break;
        case 'x': put_time(&st->st_atim); break;
        case 'y': put_time(&st->st_mtim); break;
        case 'z': put_time(&st->st_ctim); break;
        case '%': out_putc('%'); break;
        default: out_putc('%'); out_putc(*p);
        }
    }
    out_putc('\n');
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "stat", "stat [-L] [-c FORMAT] FILE...");
    int c, follow = 0;
    const char *fmt = NULL;
    while ((c = ul_getopt(argc, argv, "Lc:", NULL)) != -1) {
        if (c == 'L') follow = 1;
        else if (c == 'c') fmt = optarg;
    }
    if (optind >= argc) ul_usage_error("missing operand");
    int status = 0;
    for (int i = optind; i < argc; i++) {
        struct stat st;
        if ((follow ? stat(argv[i], &st) : lstat(argv[i], &st)) != 0) {
            ul_warn("cannot stat '%s': %s", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        if (fmt) {
            formatted(fmt, argv[i], &st);
            continue;
        }
        out_puts("  File: ");
        put_name(argv[i], &st, S_ISLNK(st.st_mode));
        out_printf("\n  Size: %-10lld\t%s\n", (long long)st.st_size, type_name(&st));
        out_printf("Device: %llu\tInode: %-11llu Links: %lu\n", (unsigned long long)st.st_dev,
                   (unsigned long long)st.st_ino, (unsigned long)st.st_nlink);
        out_puts("Access: ");
        put_time(&st.st_atim);
        out_puts("\nModify: ");
        put_time(&st.st_mtim);
        out_puts("\nChange: ");
        put_time(&st.st_ctim);
        out_puts("\n Birth: -\n");
    }
    ul_exit(status);
}
