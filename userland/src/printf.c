/* printf: format and print arguments, reusing FORMAT while arguments remain. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static int status = 0;
static int stop = 0; /* \c seen */

static int octal_or_hex_escape(const char **pp, int allow_x, int bslash0) {
    const char *p = *pp;
    int v = 0, n = 0;
    if (*p == 'x' && allow_x) {
        p++;
        while (n < 2 && isxdigit((unsigned char)*p)) {
            v = v * 16 + (isdigit((unsigned char)*p) ? *p - '0' : (tolower(*p) - 'a' + 10));
            p++, n++;
        }
        if (n == 0) return -1;
    } else {
        int max = 3;
        if (bslash0 && *p == '0') p++; /* %b allows \0NNN */
        while (n < max && *p >= '0' && *p <= '7') v = v * 8 + (*p++ - '0'), n++;
    }
    *pp = p;
    return v & 0xff;
}

/* Print one backslash escape starting after the backslash; returns the new position. */
static const char *escape(const char *p, int in_b) {
    switch (*p) {
    case 'a': out_putc('\a'); return p + 1;
    case 'b': out_putc('\b'); return p + 1;
    case 'c': stop = 1; return p + 1;
    case 'e': out_putc(27); return p + 1;
    case 'f': out_putc('\f'); return p + 1;
    case 'n': out_putc('\n'); return p + 1;
    case 'r': out_putc('\r'); return p + 1;
    case 't': out_putc('\t'); return p + 1;
    case 'v': out_putc('\v'); return p + 1;
    case '\\': out_putc('\\'); return p + 1;
    case '"': out_putc('"'); return p + 1;
    case '\'': out_putc('\''); return p + 1;
    case '\0': out_putc('\\'); return p;
    }
    if ((*p >= '0' && *p <= '7') || *p == 'x') {
        const char *q = p;
        int v = octal_or_hex_escape(&q, 1, in_b);
        if (v >= 0) {
            out_putc(v);
            return q;
        }
    }
    out_putc('\\');
    out_putc(*p);
    return p + 1;
}

static void put_b(const char *s) {
    while (*s && !stop) {
        if (*s == '\\') s = escape(s + 1, 1);
        else out_putc(*s++);
    }
}

static long long num_arg(const char *s, int is_unsigned) {
    if ((s[0] == '\'' || s[0] == '"') && s[1]) return (unsigned char)s[1];
    char *end;
    errno = 0;
    long long v = is_unsigned && s[0] != '-' ? (long long)strtoull(s, &end, 0) : strtoll(s, &end, 0);
    if (end == s || *end) {
        ul_warn("'%s': %s", s, end == s ? "expected a numeric value" : "value not completely converted");
        status = 1;
    } else if (errno == ERANGE) {
        ul_warn("%s: %s", s, strerror(ERANGE));
        status = 1;
    }
    return v;
}

static double float_arg(const char *s) {
    if ((s[0] == '\'' || s[0] == '"') && s[1]) return (unsigned char)s[1];
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end) {
        ul_warn("'%s': %s", s, end == s ? "expected a numeric value" : "value not completely converted");
        status = 1;
    }
    return v;
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "printf", "printf FORMAT [ARGUMENT]...");
    int i = 1;
    if (i < argc && strcmp(argv[i], "--") == 0) i++;
    if (i >= argc) ul_usage_error("missing operand");
    const char *fmt = argv[i++];
    char **args = argv + i;
    int nargs = argc - i, used = 0;
    do {
        int used_before = used;
        for (const char *p = fmt; *p && !stop;) {
            if (*p == '\\') {
                p = escape(p + 1, 0);
                continue;
            }
            if (*p != '%') {
                out_putc(*p++);
                continue;
            }
            if (p[1] == '%') {
                out_putc('%');
                p += 2;
                continue;
            }
            /* build a C conversion spec: % flags width .prec conv */
            char spec[64];
            size_t sl = 0;
            spec[sl++] = *p++;
            while (*p && strchr("-+ #0", *p) && sl < 20) spec[sl++] = *p++;
            int star_w = 0, star_p = 0, w = 0, pr = 0;
            if (*p == '*') {
                star_w = 1;
                w = (int)(used < nargs ? num_arg(args[used++], 0) : 0);
                spec[sl++] = '*';
                p++;
            } else {
                while (isdigit((unsigned char)*p) && sl < 40) spec[sl++] = *p++;
            }
            if (*p == '.') {
                spec[sl++] = *p++;
                if (*p == '*') {
                    star_p = 1;
                    pr = (int)(used < nargs ? num_arg(args[used++], 0) : 0);
                    spec[sl++] = '*';
                    p++;
                } else {
                    while (isdigit((unsigned char)*p) && sl < 60) spec[sl++] = *p++;
                }
            }
            char conv = *p;
            if (!conv) {
                ul_warn("%s: missing conversion specifier", fmt);
                ul_exit(1);
            }
            p++;
            const char *arg = used < nargs ? args[used++] : NULL;
            if (!strchr("diouxXcsbfeEgGaA", conv)) {
                ul_warn("%%%c: invalid conversion specification", conv);
                ul_exit(1);
            }
            if (conv == 'b') {
                put_b(arg ? arg : "");
                continue;
            }
            if (strchr("diouxX", conv)) {
                spec[sl++] = 'l';
                spec[sl++] = 'l';
            }
            spec[sl++] = conv == 'b' ? 's' : conv;
            spec[sl] = '\0';
#define EMIT(v)                                                   \
    do {                                                          \
        if (star_w && star_p) out_printf(spec, w, pr, v);         \
        else if (star_w) out_printf(spec, w, v);                  \
        else if (star_p) out_printf(spec, pr, v);                 \
        else out_printf(spec, v);                                 \
    } while (0)
            if (conv == 's') EMIT(arg ? arg : "");
            else if (conv == 'c') EMIT(arg ? (int)(unsigned char)arg[0] : 0);
            else if (strchr("di", conv)) EMIT(arg ? num_arg(arg, 0) : 0LL);
            else if (strchr("ouxX", conv)) EMIT(arg ? num_arg(arg, 1) : 0LL);
            else EMIT(arg ? float_arg(arg) : 0.0);
#undef EMIT
        }
        if (used == used_before) break; /* format takes no arguments */
    } while (used < nargs && !stop);
    ul_exit(status);
}
