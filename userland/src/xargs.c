/* xargs: build command lines from items on stdin (blank-separated, quotes and backslashes
 * honoured; -0 NUL-separated), at most -n N per command.
 * WASI cannot start processes, so only echo (the default command) can be run: xargs does
 * its work itself and reports any other command as not runnable (status 126). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static char **items;
static size_t nitems, cap;

static void add_item(const char *s, size_t len) {
    if (nitems == cap) items = realloc(items, (cap = cap ? cap * 2 : 64) * sizeof *items);
    items[nitems++] = strndup(s, len);
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "xargs", "xargs [-0rt] [-n MAX-ARGS] [COMMAND [INITIAL-ARGS]...]");
    int c, nul = 0, no_empty = 0, trace = 0;
    unsigned long long max = 0;
    while ((c = ul_getopt(argc, argv, "+0rtn:", NULL)) != -1) {
        if (c == '0') nul = 1;
        else if (c == 'r') no_empty = 1;
        else if (c == 't') trace = 1;
        else if (c == 'n') {
            if (ul_parse_ulong(optarg, &max) != 0 || max == 0)
                ul_usage_error("invalid number \"%s\" for -n option", optarg);
        }
    }
    char *data;
    size_t len;
    if (ul_read_all(0, &data, &len) < 0) ul_exit(ul_file_error("standard input"));
    if (nul) {
        size_t start = 0;
        for (size_t i = 0; i < len; i++)
            if (data[i] == '\0') {
                add_item(data + start, i - start);
                start = i + 1;
            }
        if (start < len) add_item(data + start, len - start);
    } else {
        char *tok = malloc(len + 1);
        size_t tl = 0;
        int in_tok = 0;
        char quote = 0;
        for (size_t i = 0; i < len; i++) {
            char ch = data[i];
            if (quote) {
                if (ch == quote) quote = 0;
                else if (ch == '\n') {
                    ul_warn("unmatched %s quote; by default quotes are special to xargs unless you use the -0 option",
                            quote == '"' ? "double" : "single");
                    ul_exit(1);
                } else tok[tl++] = ch;
            } else if (ch == ' ' || ch == '\t' || ch == '\n') {
                if (in_tok) add_item(tok, tl);
                tl = 0;
                in_tok = 0;
            } else if (ch == '\'' || ch == '"') {
                quote = ch;
                in_tok = 1;
            } else if (ch == '\\' && i + 1 < len) {
                tok[tl++] = data[++i];
                in_tok = 1;
            } else {
                tok[tl++] = ch;
                in_tok = 1;
            }
        }
        if (quote) {
            ul_warn("unmatched %s quote; by default quotes are special to xargs unless you use the -0 option",
                    quote == '"' ? "double" : "single");
            ul_exit(1);
        }
        if (in_tok) add_item(tok, tl);
    }
    const char *cmd = optind < argc ? argv[optind] : "echo";
    if (strcmp(cmd, "echo") != 0 && strcmp(cmd, "/bin/echo") != 0) {
        ul_warn("%s: cannot run programs: WASI has no way to start a process", cmd);
        ul_exit(126);
    }
    int first_arg = optind < argc ? optind + 1 : argc;
    if (nitems == 0 && no_empty) ul_exit(0);
    size_t per = max ? (size_t)max : (nitems ? nitems : 1);
    size_t i = 0;
    do {
        size_t end = i + per < nitems ? i + per : nitems;
        char sep = 0;
        if (trace) {
            fprintf(stderr, "%s", cmd);
            for (int k = first_arg; k < argc; k++) fprintf(stderr, " %s", argv[k]);
            for (size_t k = i; k < end; k++) fprintf(stderr, " %s", items[k]);
            fprintf(stderr, "\n");
        }
        for (int k = first_arg; k < argc; k++, sep = ' ') {
            if (sep) out_putc(sep);
            out_puts(argv[k]);
        }
        for (size_t k = i; k < end; k++, sep = ' ') {
            if (sep) out_putc(sep);
            out_puts(items[k]);
        }
        out_putc('\n');
        i = end;
    } while (i < nitems);
    ul_exit(0);
}
