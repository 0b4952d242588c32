/* tr: translate (SET1 → SET2), delete (-d) or squeeze (-s) characters; -c complements SET1. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

/* Expand a set description into a byte list; returns its length. */
static size_t expand(const char *s, unsigned char *out) {
    size_t n = 0;
    while (*s) {
        if (s[0] == '[' && s[1] == ':') {
            const char *end = strstr(s + 2, ":]");
            if (end) {
                size_t len = (size_t)(end - s - 2);
                int (*f)(int) = NULL;
#define CL(name, fn) if (len == sizeof(name) - 1 && memcmp(s + 2, name, len) == 0) f = fn
                CL("alpha", isalpha); CL("digit", isdigit); CL("alnum", isalnum);
                CL("upper", isupper); CL("lower", islower); CL("space", isspace);
                CL("blank", isblank); CL("punct", ispunct); CL("print", isprint);
                CL("graph", isgraph); CL("cntrl", iscntrl); CL("xdigit", isxdigit);
#undef CL
                if (!f) ul_usage_error("invalid character class '%.*s'", (int)len, s + 2);
                for (int c = 0; c < 256 && n < 4096; c++)
                    if (f(c)) out[n++] = (unsigned char)c;
                s = end + 2;
                continue;
            }
        }
        int c;
        if (*s == '\\' && s[1]) {
            s++;
            if (*s >= '0' && *s <= '7') {
                c = 0;
                for (int k = 0; k < 3 && *s >= '0' && *s <= '7'; k++) c = c * 8 + (*s++ - '0');
            } else {
                switch (*s) {
                case 'n': c = '\n'; break;
                case 't': c = '\t'; break;
                case 'r': c = '\r'; break;
                case 'a': c = '\a'; break;
                case 'b': c = '\b'; break;
                case 'f': c = '\f'; break;
                case 'v': c = '\v'; break;
                default: c = (unsigned char)*s;
                }
                s++;
            }
        } else {
            c = (unsigned char)*s++;
        }
        if (s[0] == '-' && s[1]) { /* range */
            s++;
            int hi;
            if (*s == '\\' && s[1]) {
                s++;
                hi = (unsigned char)*s++;
                if (hi == 'n') hi = '\n';
                else if (hi == 't') hi = '\t';
            } else {
                hi = (unsigned char)*s++;
            }
            if (hi < c) ul_usage_error("range-endpoints of '%c-%c' are in reverse collating sequence order", c, hi);
            for (int k = c; k <= hi && n < 4096; k++) out[n++] = (unsigned char)k;
        } else if (n < 4096) {
            out[n++] = (unsigned char)c;
        }
    }
    return n;
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "tr", "tr [-cds] SET1 [SET2]");
    int del = 0, squeeze = 0, comp = 0, c;
    while ((c = ul_getopt(argc, argv, "cCds", NULL)) != -1) {
        if (c == 'd') del = 1;
        else if (c == 's') squeeze = 1;
        else comp = 1;
    }
    int n = argc - optind;
    if (n < 1) ul_usage_error("missing operand");
    if (n == 1 && !del && !squeeze) ul_usage_error("missing operand after '%s'", argv[optind]);
    if (n > 2 || (n == 2 && del && !squeeze)) ul_usage_error("extra operand '%s'", argv[optind + n - 1]);
    static unsigned char s1[4096], s2[4096];
    size_t n1 = expand(argv[optind], s1), n2 = n == 2 ? expand(argv[optind + 1], s2) : 0;
    int in1[256] = {0};
    for (size_t i = 0; i < n1; i++) in1[s1[i]] = 1;
    if (comp) {
        n1 = 0;
        for (int k = 0; k < 256; k++)
            if (!in1[k]) s1[n1++] = (unsigned char)k;
        for (int k = 0; k < 256; k++) in1[k] = !in1[k];
    }
    int map[256];
    for (int k = 0; k < 256; k++) map[k] = k;
    int translate = n == 2 && !del;
    int sq[256] = {0}; /* squeeze set: SET2 when translating, else SET1 */
    if (translate) {
        if (n2 == 0) ul_usage_error("when not truncating set1, string2 must be non-empty");
        for (size_t i = 0; i < n1; i++) map[s1[i]] = s2[i < n2 ? i : n2 - 1];
        for (size_t i = 0; i < n2; i++) sq[s2[i]] = 1;
    } else if (del && squeeze) {
        for (size_t i = 0; i < n2; i++) sq[s2[i]] = 1;
    } else {
        for (int k = 0; k < 256; k++) sq[k] = in1[k];
    }
    char buf[16384];
    int last = -1;
    for (;;) {
        ssize_t r = ul_read(0, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            ul_exit(ul_file_error("-"));
        }
        if (r == 0) break;
        for (ssize_t i = 0; i < r; i++) {
            int ch = (unsigned char)buf[i];
            if (del && in1[ch]) continue;
            ch = map[ch];
            if (squeeze && sq[ch] && ch == last) continue;
            last = ch;
            out_putc(ch);
        }
    }
    ul_exit(0);
}
