/* echo: print arguments; -n (no newline), -e (escapes), -E (no escapes). */
#include <string.h>

#include "common.h"

static int is_option(const char *s) {
    if (s[0] != '-' || s[1] == '\0') return 0;
    for (const char *p = s + 1; *p; p++)
        if (!strchr("neE", *p)) return 0;
    return 1;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Returns 0 when \c asks to stop all output. */
static int put_escaped(const char *s) {
    while (*s) {
        if (*s != '\\' || s[1] == '\0') {
            out_putc(*s++);
            continue;
        }
        s++;
        int c = *s++;
        switch (c) {
        case 'a': out_putc('\a'); break;
        case 'b': out_putc('\b'); break;
        case 'c': return 0;
        case 'e': out_putc(27); break;
        case 'f': out_putc('\f'); break;
        case 'n': out_putc('\n'); break;
        case 'r': out_putc('\r'); break;
        case 't': out_putc('\t'); break;
        case 'v': out_putc('\v'); break;
        case '\\': out_putc('\\'); break;
        case '0': {
            int v = 0;
            for (int i = 0; i < 3 && *s >= '0' && *s <= '7'; i++) v = v * 8 + (*s++ - '0');
            out_putc(v);
            break;
        }
        case 'x': {
            if (hexval(*s) < 0) {
                out_puts("\\x");
                break;
            }
            int v = 0;
            for (int i = 0; i < 2 && hexval(*s) >= 0; i++) v = v * 16 + hexval(*s++);
            out_putc(v);
            break;
        }
        default:
            out_putc('\\');
            out_putc(c);
        }
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        ul_init(argc, argv, "echo", "echo [-neE] [STRING]...");
    ul_init(1, argv, "echo", "echo [-neE] [STRING]...");
    int newline = 1, escapes = 0, i = 1;
    for (; i < argc && is_option(argv[i]); i++) {
        for (const char *p = argv[i] + 1; *p; p++) {
            if (*p == 'n') newline = 0;
            else if (*p == 'e') escapes = 1;
            else escapes = 0;
        }
    }
    for (int first = 1; i < argc; i++, first = 0) {
        if (!first) out_putc(' ');
        if (!escapes) out_puts(argv[i]);
        else if (!put_escaped(argv[i])) ul_exit(0);
    }
    if (newline) out_putc('\n');
    ul_exit(0);
}
