/* Shared helpers for the bundled userland; see common.h for why each exists. */
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *ul_prog = "?";
const char *ul_usage = "";

static void print_usage(FILE *f) { fprintf(f, "usage: %s\n", ul_usage); }

void ul_init(int argc, char **argv, const char *prog, const char *usage) {
    ul_prog = prog;
    ul_usage = usage;
    /* WASI has no current directory; the shell passes its own in $PWD, and wasi-libc
     * resolves relative paths against the directory chdir() records */
    const char *pwd = getenv("PWD");
    if (pwd && pwd[0] == '/') chdir(pwd);
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        out_printf("usage: %s\n", usage);
        ul_exit(0);
    }
}

int ul_getopt(int argc, char **argv, const char *opts, const struct option *longopts) {
    static struct option merged[64];
    static int ready = 0;
    if (!ready) {
        int n = 0;
        for (const struct option *o = longopts; o && o->name && n < 62; o++) merged[n++] = *o;
        merged[n++] = (struct option){"help", no_argument, NULL, 0x10000};
        merged[n] = (struct option){0, 0, 0, 0};
        ready = 1;
    }
    char spec[128];
    snprintf(spec, sizeof spec, ":%s", opts); /* leading ':' tells missing args from unknown */
    opterr = 0;
    int c = getopt_long(argc, argv, spec, merged, NULL);
    if (c == 0x10000) {
        out_printf("usage: %s\n", ul_usage);
        ul_exit(0);
    }
    if (c == '?') {
        if (optopt)
            ul_usage_error("invalid option -- '%c'", optopt);
        ul_usage_error("unrecognized option '%s'", argv[optind - 1]);
    }
    if (c == ':') {
        if (optopt)
            ul_usage_error("option requires an argument -- '%c'", optopt);
        ul_usage_error("option '%s' requires an argument", argv[optind - 1]);
    }
    return c;
}

static void vmsg(const char *fmt, va_list ap) {
    out_flush();
    fprintf(stderr, "%s: ", ul_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

_Noreturn void ul_usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    print_usage(stderr);
    fflush(stderr);
    ul_exit(2);
}

int ul_dest_is_dir(int argc, char **argv) {
    const char *last = argv[argc - 1];
    struct stat st;
    int ok = stat(last, &st) == 0, err = errno;
    if (ok && S_ISDIR(st.st_mode)) return 1;
    if (argc - optind == 2) return 0;
    if (!ok) ul_warn("target '%s': %s", last, strerror(err));
    else ul_warn("target '%s' is not a directory", last);
    ul_exit(1);
}

void ul_warn(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    fflush(stderr);
}

_Noreturn void ul_die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    fflush(stderr);
    ul_exit(1);
}

int ul_file_error(const char *name) {
    int e = errno;
    ul_warn("%s: %s", name, strerror(e));
    return 1;
}

/* ---- checked output ---- */

int ul_out_fd = 1;
static char obuf[8192];
static size_t olen = 0;

void ul_write_fd(int fd, const void *buf, size_t len, const char *what) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EPIPE) _exit(141);
            int e = errno;
            fprintf(stderr, "%s: %s: %s\n", ul_prog, what, strerror(e));
            _exit(1);
        }
        p += n;
        len -= (size_t)n;
    }
}

void out_flush(void) {
    if (olen) {
        size_t n = olen;
        olen = 0;
        ul_write_fd(ul_out_fd, obuf, n, "write error");
    }
}

void out_write(const void *buf, size_t len) {
    if (len >= sizeof obuf) {
        out_flush();
        ul_write_fd(ul_out_fd, buf, len, "write error");
        return;
    }
    if (olen + len > sizeof obuf) out_flush();
    memcpy(obuf + olen, buf, len);
    olen += len;
}

void out_putc(int c) {
    if (olen == sizeof obuf) out_flush();
    obuf[olen++] = (char)c;
}

void out_puts(const char *s) { out_write(s, strlen(s)); }

void out_printf(const char *fmt, ...) {
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        out_write(small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) ul_die("out of memory");
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    out_write(big, (size_t)n);
    free(big);
}

_Noreturn void ul_exit(int status) {
    out_flush();
    fflush(stderr);
    _exit(status);
}

/* ---- input ---- */

long ul_read(int fd, void *buf, size_t len) {
    out_flush();
    return (long)read(fd, buf, len);
}

int ul_open_in(const char *name) {
    if (strcmp(name, "-") == 0) return 0;
    int fd = open(name, O_RDONLY);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) { /* WASI would say EBADF on read */
        close(fd);
        errno = EISDIR;
        return -1;
    }
    return fd;
}

int ul_parse_ulong(const char *s, unsigned long long *out) {
    if (!*s) return -1;
    unsigned long long v = 0;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s)) return -1;
        unsigned long long nv = v * 10 + (unsigned)(*s - '0');
        if (nv / 10 != v) return -1;
        v = nv;
    }
    *out = v;
    return 0;
}

void ul_reader_init(ul_reader *r, int fd) {
    r->fd = fd;
    r->cap = 8192;
    r->buf = malloc(r->cap);
    if (!r->buf) ul_die("out of memory");
    r->start = r->end = 0;
    r->eof = 0;
}

long ul_getline(ul_reader *r, char **line) {
    size_t scan = r->start;
    for (;;) {
        char *nl = memchr(r->buf + scan, '\n', r->end - scan);
        if (nl) {
            size_t len = (size_t)(nl - (r->buf + r->start)) + 1;
            *line = r->buf + r->start;
            r->start += len;
            return (long)len;
        }
        if (r->eof) {
            size_t len = r->end - r->start;
            *line = r->buf + r->start;
            r->start = r->end;
            return (long)len;
        }
        scan = r->end;
        if (r->start > 0) { /* compact */
            memmove(r->buf, r->buf + r->start, r->end - r->start);
            r->end -= r->start;
            scan -= r->start;
            r->start = 0;
        }
        if (r->end == r->cap) {
            char *nb = realloc(r->buf, r->cap * 2);
            if (!nb) ul_die("out of memory");
            r->buf = nb;
            r->cap *= 2;
        }
        ssize_t n = ul_read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) r->eof = 1;
        r->end += (size_t)n;
    }
}

void ul_reader_free(ul_reader *r) { free(r->buf); }

int ul_read_all(int fd, char **data, size_t *len) {
    size_t cap = 8192, n = 0;
    char *b = malloc(cap);
    if (!b) ul_die("out of memory");
    for (;;) {
        if (n == cap) {
            char *nb = realloc(b, cap * 2);
            if (!nb) ul_die("out of memory");
            b = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            free(b);
            return -1;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    *data = b;
    *len = n;
    return 0;
}

/* ---- glob ---- */

int ul_glob_match(const char *p, const char *s) {
    while (*p) {
        if (*p == '*') {
            while (*p == '*') p++;
            if (!*p) return 1;
            for (; *s; s++)
                if (ul_glob_match(p, s)) return 1;
            return ul_glob_match(p, s);
        }
        if (!*s) return 0;
        if (*p == '?') {
            p++;
            s++;
            continue;
        }
        if (*p == '[') {
            const char *q = p + 1;
            int neg = 0, hit = 0;
            if (*q == '!' || *q == '^') {
                neg = 1;
                q++;
            }
            int first = 1;
            while (*q && (first || *q != ']')) {
                first = 0;
                unsigned char lo = (unsigned char)*q++;
                if (lo == '\\' && *q) lo = (unsigned char)*q++;
                unsigned char hi = lo;
                if (q[0] == '-' && q[1] && q[1] != ']') {
                    hi = (unsigned char)q[1];
                    q += 2;
                }
                if ((unsigned char)*s >= lo && (unsigned char)*s <= hi) hit = 1;
            }
            if (*q != ']') { /* no closing bracket: literal '[' */
                if (*s != '[') return 0;
                p++;
                s++;
                continue;
            }
            if (hit == neg) return 0;
            p = q + 1;
            s++;
            continue;
        }
        if (*p == '\\' && p[1]) p++;
        if (*p != *s) return 0;
        p++;
        s++;
    }
    return *s == '\0';
}
