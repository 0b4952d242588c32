/* find: walk directory trees and print paths matching an expression.
 * Primaries: -name GLOB, -iname GLOB, -path GLOB, -type f|d|l, -empty, -print, -true, -false;
 * operators: ! -not, -a -and (or juxtaposition), -o -or, ( ); options -maxdepth N, -mindepth N.
 * Children are visited in byte order so that output is the same on every system. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"

enum { N_PATH, N_EMPTY, N_NAME, N_INAME, N_TYPE, N_PRINT, N_TRUE, N_FALSE, N_NOT, N_AND, N_OR };

typedef struct node {
    int kind;
    const char *arg;
    struct node *a, *b;
} node;

static char **toks;
static int ntoks, pos;
static int has_print;
static long maxdepth = -1, mindepth = 0;
static int status;

static node *mk(int kind, const char *arg, node *a, node *b) {
    node *n = calloc(1, sizeof *n);
    n->kind = kind, n->arg = arg, n->a = a, n->b = b;
    return n;
}

static node *parse_or(void);

static const char *need_arg(const char *opt) {
    if (pos >= ntoks) ul_usage_error("missing argument to '%s'", opt);
    return toks[pos++];
}

static node *parse_unary(void) {
    if (pos >= ntoks) ul_usage_error("expected an expression");
    const char *t = toks[pos++];
    if (strcmp(t, "!") == 0 || strcmp(t, "-not") == 0) return mk(N_NOT, NULL, parse_unary(), NULL);
    if (strcmp(t, "(") == 0) {
        node *n = parse_or();
        if (pos >= ntoks || strcmp(toks[pos], ")") != 0) ul_usage_error("missing ')'");
        pos++;
        return n;
    }
    if (strcmp(t, "-name") == 0) return mk(N_NAME, need_arg(t), NULL, NULL);
    if (strcmp(t, "-iname") == 0) return mk(N_INAME, need_arg(t), NULL, NULL);
    if (strcmp(t, "-path") == 0 || strcmp(t, "-wholename") == 0) return mk(N_PATH, need_arg(t), NULL, NULL);
    if (strcmp(t, "-empty") == 0) return mk(N_EMPTY, NULL, NULL, NULL);
    if (strcmp(t, "-type") == 0) {
        const char *a = need_arg(t);
        if (strlen(a) != 1 || !strchr("fdl", a[0])) ul_usage_error("unknown argument to -type: %s", a);
        return mk(N_TYPE, a, NULL, NULL);
    }
    if (strcmp(t, "-print") == 0) {
        has_print = 1;
        return mk(N_PRINT, NULL, NULL, NULL);
    }
    if (strcmp(t, "-true") == 0) return mk(N_TRUE, NULL, NULL, NULL);
    if (strcmp(t, "-false") == 0) return mk(N_FALSE, NULL, NULL, NULL);
    if (strcmp(t, "-maxdepth") == 0 || strcmp(t, "-mindepth") == 0) {
        const char *a = need_arg(t);
        unsigned long long v;
        if (ul_parse_ulong(a, &v) != 0) ul_usage_error("invalid argument '%s' to '%s'", a, t);
        if (t[2] == 'a') maxdepth = (long)v;
        else mindepth = (long)v;
        return mk(N_TRUE, NULL, NULL, NULL);
    }
    ul_usage_error("unknown predicate '%s'", t);
}

static node *parse_and(void) {
    node *n = parse_unary();
    while (pos < ntoks && strcmp(toks[pos], "-o") != 0 && strcmp(toks[pos], "-or") != 0 &&
           strcmp(toks[pos], ")") != 0) {
        if (strcmp(toks[pos], "-a") == 0 || strcmp(toks[pos], "-and") == 0) pos++;
        n = mk(N_AND, NULL, n, parse_unary());
    }
    return n;
}

static node *parse_or(void) {
    node *n = parse_and();
    while (pos < ntoks && (strcmp(toks[pos], "-o") == 0 || strcmp(toks[pos], "-or") == 0)) {
        pos++;
        n = mk(N_OR, NULL, n, parse_and());
    }
    return n;
}

static int iglob(const char *p, const char *s) {
    char *lp = strdup(p), *ls = strdup(s);
    for (char *q = lp; *q; q++) *q = (char)tolower((unsigned char)*q);
    for (char *q = ls; *q; q++) *q = (char)tolower((unsigned char)*q);
    int r = ul_glob_match(lp, ls);
    free(lp);
    free(ls);
    return r;
}

static int dir_empty(const char *path) {
    DIR *d = opendir(path);
    if (!d) return 0;
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) empty = 0;
    closedir(d);
    return empty;
}

static int eval(const node *n, const char *path, const char *base, const struct stat *st) {
    switch (n->kind) {
    case N_NAME: return ul_glob_match(n->arg, base);
    case N_PATH: return ul_glob_match(n->arg, path);
    case N_EMPTY: return S_ISREG(st->st_mode) ? st->st_size == 0 : S_ISDIR(st->st_mode) && dir_empty(path);
    case N_INAME: return iglob(n->arg, base);
    case N_TYPE:
        return n->arg[0] == 'f' ? S_ISREG(st->st_mode)
             : n->arg[0] == 'd' ? S_ISDIR(st->st_mode)
                                : S_ISLNK(st->st_mode);
    case N_PRINT: out_printf("%s\n", path); return 1;
    case N_TRUE: return 1;
    case N_FALSE: return 0;
    case N_NOT: return !eval(n->a, path, base, st);
    case N_AND: return eval(n->a, path, base, st) && eval(n->b, path, base, st);
    case N_OR: return eval(n->a, path, base, st) || eval(n->b, path, base, st);
    }
    return 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void visit(const char *path, long depth, const node *expr) {
    struct stat st;
    if (lstat(path, &st) != 0) {
        ul_warn("'%s': %s", path, strerror(errno));
        status = 1;
        return;
    }
    /* the base name of a starting point is its last component */
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--;
    size_t b = len;
    while (b > 0 && path[b - 1] != '/') b--;
    char *base = strndup(path + b, len - b ? len - b : 1);
    if (depth >= mindepth) {
        int r = expr ? eval(expr, path, base, &st) : 1;
        if (r && !has_print) out_printf("%s\n", path);
    }
    free(base);
    if (!S_ISDIR(st.st_mode) || (maxdepth >= 0 && depth >= maxdepth)) return;
    DIR *d = opendir(path);
    if (!d) {
        ul_warn("'%s': %s", path, strerror(errno));
        status = 1;
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (n == cap) names = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    size_t pl = strlen(path);
    for (size_t i = 0; i < n; i++) {
        char *child = malloc(pl + strlen(names[i]) + 2);
        sprintf(child, "%s%s%s", path, pl && path[pl - 1] == '/' ? "" : "/", names[i]);
        visit(child, depth + 1, expr);
        free(child);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "find", "find [PATH]... [EXPRESSION]");
    int first_expr = 1;
    while (first_expr < argc && argv[first_expr][0] != '-' && strcmp(argv[first_expr], "!") != 0 &&
           strcmp(argv[first_expr], "(") != 0)
        first_expr++;
    toks = argv + first_expr;
    ntoks = argc - first_expr;
    node *expr = NULL;
    if (ntoks > 0) {
        expr = parse_or();
        if (pos < ntoks) ul_usage_error("unexpected '%s'", toks[pos]);
    }
    if (first_expr == 1) visit(".", 0, expr);
    for (int i = 1; i < first_expr; i++) visit(argv[i], 0, expr);
    ul_exit(status);
}
