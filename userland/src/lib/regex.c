/* Regular expressions for grep: POSIX basic syntax (with the GNU escapes \+ \? \| \{n,m\}
 * \< \> \b \B \w \W \s \S) and extended syntax (-E), matched by a Thompson NFA simulation so
 * that no pattern can take exponential time. Back-references are not supported. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

enum { R_CHAR, R_ANY, R_SET, R_CAT, R_ALT, R_REP, R_EMPTY, R_ASSERT };
enum { A_BOL, A_EOL, A_WORD_START, A_WORD_END, A_BOUNDARY, A_NOT_BOUNDARY, A_NONWORD_BEFORE, A_NONWORD_AFTER };
enum { I_CHAR, I_ANY, I_SET, I_SPLIT, I_JMP, I_ASSERT, I_MATCH };
#define REP_MAX 255

typedef struct rnode {
    int kind, c, min, max;
    struct rnode *a, *b;
} rnode;

typedef struct {
    int op, x, y;
} inst;

struct ul_regex {
    inst *prog;
    int n, cap;
    unsigned char (*sets)[32];
    int nsets;
    int icase;
};

typedef struct {
    const char *p;
    int ere, icase;
    const char *err;
    ul_regex *re;
} parser;

static rnode *node(int kind, int c, rnode *a, rnode *b) {
    rnode *n = calloc(1, sizeof *n);
    if (!n) ul_die("out of memory");
    n->kind = kind, n->c = c, n->a = a, n->b = b;
    return n;
}

static void free_tree(rnode *n) {
    if (!n) return;
    free_tree(n->a);
    free_tree(n->b);
    free(n);
}

static int new_set(parser *ps) {
    ul_regex *re = ps->re;
    re->sets = realloc(re->sets, (size_t)(re->nsets + 1) * 32);
    if (!re->sets) ul_die("out of memory");
    memset(re->sets[re->nsets], 0, 32);
    return re->nsets++;
}

static void set_add(unsigned char *set, int c, int icase) {
    set[c >> 3] |= (unsigned char)(1u << (c & 7));
    if (icase) {
        int o = isupper(c) ? tolower(c) : toupper(c);
        set[o >> 3] |= (unsigned char)(1u << (o & 7));
    }
}

static int class_test(const char *name, size_t len, int c) {
#define CL(s, f) \
    if (len == sizeof(s) - 1 && memcmp(name, s, len) == 0) return f(c) != 0
    CL("alpha", isalpha);
    CL("digit", isdigit);
    CL("alnum", isalnum);
    CL("upper", isupper);
    CL("lower", islower);
    CL("space", isspace);
    CL("blank", isblank);
    CL("punct", ispunct);
    CL("print", isprint);
    CL("graph", isgraph);
    CL("cntrl", iscntrl);
    CL("xdigit", isxdigit);
#undef CL
    return -1;
}

static int is_word(int c) { return isalnum(c) || c == '_'; }

/* [...] after the '['; returns a set node or NULL with ps->err */
static rnode *parse_bracket(parser *ps) {
    int idx = new_set(ps);
    unsigned char *set = ps->re->sets[idx];
    const char *p = ps->p;
    int negate = 0, first = 1;
    if (*p == '^') negate = 1, p++;
    while (*p && (first || *p != ']')) {
        first = 0;
        if (p[0] == '[' && p[1] == ':') {
            const char *end = strstr(p + 2, ":]");
            size_t len = end ? (size_t)(end - (p + 2)) : 0;
            if (!end || class_test(p + 2, len, 'a') < 0) {
                ps->err = "invalid character class";
                return NULL;
            }
            for (int c = 0; c < 256; c++)
                if (class_test(p + 2, len, c) > 0) set_add(set, c, ps->icase);
            p = end + 2;
            continue;
        }
        unsigned char lo = (unsigned char)*p++;
        if (p[0] == '-' && p[1] && p[1] != ']') {
            unsigned char hi = (unsigned char)p[1];
            p += 2;
            if (hi < lo) {
                ps->err = "invalid range end";
                return NULL;
            }
            for (int c = lo; c <= hi; c++) set_add(set, c, ps->icase);
        } else {
            set_add(set, lo, ps->icase);
        }
    }
    if (*p != ']') {
        ps->err = "unmatched [, [^, [:, [., or [=";
        return NULL;
    }
    ps->p = p + 1;
    if (negate) {
        for (int i = 0; i < 32; i++) set[i] = (unsigned char)~set[i];
        set['\n' >> 3] &= (unsigned char)~(1u << ('\n' & 7));
    }
    return node(R_SET, idx, NULL, NULL);
}

static rnode *class_escape(parser *ps, int (*pred)(int), int negate) {
    int idx = new_set(ps);
    for (int c = 0; c < 256; c++)
        if ((pred(c) != 0) != negate && c != '\n') set_add(ps->re->sets[idx], c, 0);
    return node(R_SET, idx, NULL, NULL);
}

static int is_space(int c) { return isspace(c); }

static rnode *parse_alt(parser *ps);

/* does the text at p close the current sequence (end, ')' or '|')? */
static int at_seq_end(parser *ps, const char *p) {
    if (!*p) return 1;
    if (ps->ere) return *p == ')' || *p == '|';
    return p[0] == '\\' && (p[1] == ')' || p[1] == '|');
}

/* {n}, {n,}, {n,m} after the '{'; returns 0 (and moves on) or -1 */
static int parse_interval(parser *ps, int *min, int *max) {
    const char *p = ps->p;
    if (!isdigit((unsigned char)*p)) return -1;
    long lo = strtol(p, (char **)&p, 10), hi = lo;
    if (*p == ',') {
        p++;
        hi = isdigit((unsigned char)*p) ? strtol(p, (char **)&p, 10) : -1;
    }
    if (ps->ere ? *p != '}' : (p[0] != '\\' || p[1] != '}')) return -1;
    p += ps->ere ? 1 : 2;
    if (lo > REP_MAX || hi > REP_MAX || (hi >= 0 && hi < lo)) {
        ps->err = "invalid content of \\{\\}";
        return -1;
    }
    *min = (int)lo, *max = (int)hi;
    ps->p = p;
    return 0;
}

static rnode *parse_seq(parser *ps) {
    rnode *seq = node(R_EMPTY, 0, NULL, NULL);
    int start = 1;
    while (!at_seq_end(ps, ps->p)) {
        const char *p = ps->p;
        rnode *atom = NULL;
        if (*p == '^' && (ps->ere || start)) {
            atom = node(R_ASSERT, A_BOL, NULL, NULL);
            ps->p++;
            seq = node(R_CAT, 0, seq, atom);
            continue; /* a '*' right after it is literal in BRE */
        }
        if (*p == '$' && (ps->ere || at_seq_end(ps, p + 1))) {
            atom = node(R_ASSERT, A_EOL, NULL, NULL);
            ps->p++;
        } else if (*p == '.') {
            atom = node(R_ANY, 0, NULL, NULL);
            ps->p++;
        } else if (*p == '[') {
            ps->p++;
            atom = parse_bracket(ps);
        } else if ((ps->ere && *p == '(') || (!ps->ere && p[0] == '\\' && p[1] == '(')) {
            ps->p += ps->ere ? 1 : 2;
            atom = parse_alt(ps);
            if (!atom) break;
            if (ps->ere ? *ps->p != ')' : (ps->p[0] != '\\' || ps->p[1] != ')')) {
                ps->err = "unmatched ( or \\(";
                free_tree(atom);
                atom = NULL;
            } else {
                ps->p += ps->ere ? 1 : 2;
            }
        } else if (*p == '*' && start && !ps->ere) {
            atom = node(R_CHAR, '*', NULL, NULL);
            ps->p++;
        } else if (ps->ere && (*p == '*' || *p == '+' || *p == '?') && start) {
            atom = node(R_CHAR, *p, NULL, NULL); /* like GNU: a leading repetition is literal */
            ps->p++;
        } else if (*p == '\\') {
            int c = (unsigned char)p[1];
            ps->p += 2;
            if (!c) {
                ps->err = "trailing backslash (\\)";
                ps->p--;
            } else if (c >= '1' && c <= '9') {
                ps->err = "back-references are not supported";
            } else if (c == '<') atom = node(R_ASSERT, A_WORD_START, NULL, NULL);
            else if (c == '>') atom = node(R_ASSERT, A_WORD_END, NULL, NULL);
            else if (c == 'b') atom = node(R_ASSERT, A_BOUNDARY, NULL, NULL);
            else if (c == 'B') atom = node(R_ASSERT, A_NOT_BOUNDARY, NULL, NULL);
            else if (c == 'w') atom = class_escape(ps, is_word, 0);
            else if (c == 'W') atom = class_escape(ps, is_word, 1);
            else if (c == 's') atom = class_escape(ps, is_space, 0);
            else if (c == 'S') atom = class_escape(ps, is_space, 1);
            else if (!ps->ere && (c == '{' || c == '}' || c == ')')) ps->err = "unmatched \\{ or \\)";
            else atom = node(R_CHAR, c, NULL, NULL);
        } else {
            atom = node(R_CHAR, (unsigned char)*p, NULL, NULL);
            ps->p++;
        }
        if (!atom) {
            if (!ps->err) ps->err = "invalid regular expression";
            free_tree(seq);
            return NULL;
        }
        /* repetitions */
        for (;;) {
            const char *q = ps->p;
            int min, max;
            if (*q == '*') min = 0, max = -1, ps->p++;
            else if (ps->ere && *q == '+') min = 1, max = -1, ps->p++;
            else if (ps->ere && *q == '?') min = 0, max = 1, ps->p++;
            else if (!ps->ere && q[0] == '\\' && q[1] == '+') min = 1, max = -1, ps->p += 2;
            else if (!ps->ere && q[0] == '\\' && q[1] == '?') min = 0, max = 1, ps->p += 2;
            else if ((ps->ere && *q == '{') || (!ps->ere && q[0] == '\\' && q[1] == '{')) {
                ps->p += ps->ere ? 1 : 2;
                if (parse_interval(ps, &min, &max) != 0) {
                    if (ps->ere && !ps->err) { /* GNU: an invalid interval in ERE is literal */
                        ps->p = q;
                        break;
                    }
                    if (!ps->err) ps->err = "invalid content of \\{\\}";
                    free_tree(atom);
                    free_tree(seq);
                    return NULL;
                }
            } else break;
            rnode *r = node(R_REP, 0, atom, NULL);
            r->min = min, r->max = max;
            atom = r;
        }
        seq = node(R_CAT, 0, seq, atom);
        start = 0;
    }
    return seq;
}

static rnode *parse_alt(parser *ps) {
    rnode *left = parse_seq(ps);
    while (left) {
        const char *p = ps->p;
        if (ps->ere ? *p == '|' : (p[0] == '\\' && p[1] == '|')) {
            ps->p += ps->ere ? 1 : 2;
            rnode *right = parse_seq(ps);
            if (!right) {
                free_tree(left);
                return NULL;
            }
            left = node(R_ALT, 0, left, right);
        } else {
            break;
        }
    }
    return left;
}

static int emit(ul_regex *re, int op, int x, int y) {
    if (re->n == re->cap) {
        re->cap = re->cap ? re->cap * 2 : 64;
        re->prog = realloc(re->prog, (size_t)re->cap * sizeof *re->prog);
        if (!re->prog) ul_die("out of memory");
    }
    re->prog[re->n] = (inst){op, x, y};
    return re->n++;
}

static int gen(ul_regex *re, const rnode *n) {
    if (re->n > 200000) return -1; /* a pattern too large to compile */
    switch (n->kind) {
    case R_EMPTY: return 0;
    case R_CHAR: emit(re, I_CHAR, re->icase ? tolower(n->c) : n->c, 0); return 0;
    case R_ANY: emit(re, I_ANY, 0, 0); return 0;
    case R_SET: emit(re, I_SET, n->c, 0); return 0;
    case R_ASSERT: emit(re, I_ASSERT, n->c, 0); return 0;
    case R_CAT: return gen(re, n->a) || gen(re, n->b) ? -1 : 0;
    case R_ALT: {
        int split = emit(re, I_SPLIT, 0, 0);
        re->prog[split].x = re->n;
        if (gen(re, n->a)) return -1;
        int jmp = emit(re, I_JMP, 0, 0);
        re->prog[split].y = re->n;
        if (gen(re, n->b)) return -1;
        re->prog[jmp].x = re->n;
        return 0;
    }
    case R_REP: {
        for (int i = 0; i < n->min; i++)
            if (gen(re, n->a)) return -1;
        if (n->max < 0) {
            int split = emit(re, I_SPLIT, 0, 0);
            re->prog[split].x = re->n;
            if (gen(re, n->a)) return -1;
            emit(re, I_JMP, split, 0);
            re->prog[split].y = re->n;
            return 0;
        }
        int first = re->n, nopt = n->max - n->min;
        int *splits = malloc(sizeof(int) * (size_t)(nopt + 1));
        for (int i = 0; i < nopt; i++) {
            splits[i] = emit(re, I_SPLIT, 0, 0);
            re->prog[splits[i]].x = re->n;
            if (gen(re, n->a)) {
                free(splits);
                return -1;
            }
        }
        for (int i = 0; i < nopt; i++) re->prog[splits[i]].y = re->n;
        (void)first;
        free(splits);
        return 0;
    }
    }
    return -1;
}

ul_regex *ul_regcomp(const char *pattern, int flags, const char **err) {
    ul_regex *re = calloc(1, sizeof *re);
    if (!re) ul_die("out of memory");
    re->icase = (flags & UL_RE_ICASE) != 0;
    parser ps = {pattern, (flags & UL_RE_EXTENDED) != 0, re->icase, NULL, re};
    rnode *tree = parse_alt(&ps);
    if (tree && *ps.p) {
        ps.err = ps.ere ? "unmatched ) or \\)" : "unmatched ) or \\)";
        free_tree(tree);
        tree = NULL;
    }
    if (!tree) {
        *err = ps.err ? ps.err : "invalid regular expression";
        ul_regfree(re);
        return NULL;
    }
    if (flags & UL_RE_LINE)
        tree = node(R_CAT, 0, node(R_CAT, 0, node(R_ASSERT, A_BOL, NULL, NULL), tree),
                    node(R_ASSERT, A_EOL, NULL, NULL));
    else if (flags & UL_RE_WORD)
        tree = node(R_CAT, 0, node(R_CAT, 0, node(R_ASSERT, A_NONWORD_BEFORE, NULL, NULL), tree),
                    node(R_ASSERT, A_NONWORD_AFTER, NULL, NULL));
    int bad = gen(re, tree);
    free_tree(tree);
    if (bad) {
        *err = "regular expression too big";
        ul_regfree(re);
        return NULL;
    }
    emit(re, I_MATCH, 0, 0);
    return re;
}

void ul_regfree(ul_regex *re) {
    if (!re) return;
    free(re->prog);
    free(re->sets);
    free(re);
}

static int assert_ok(int kind, const unsigned char *t, size_t pos, size_t len) {
    int before = pos > 0 && is_word(t[pos - 1]);
    int after = pos < len && is_word(t[pos]);
    switch (kind) {
    case A_BOL: return pos == 0;
    case A_EOL: return pos == len;
    case A_WORD_START: return !before && after;
    case A_WORD_END: return before && !after;
    case A_BOUNDARY: return before != after;
    case A_NOT_BOUNDARY: return before == after;
    case A_NONWORD_BEFORE: return !before;
    case A_NONWORD_AFTER: return !after;
    }
    return 0;
}

typedef struct {
    int *pcs;
    int n;
} tlist;

/* follow jumps, splits and assertions from pc; returns 1 when MATCH is reachable */
static int add_thread(const ul_regex *re, tlist *l, int *mark, int gen_id, int pc,
                      const unsigned char *t, size_t pos, size_t len) {
    for (;;) {
        if (mark[pc] == gen_id) return 0;
        mark[pc] = gen_id;
        const inst *in = &re->prog[pc];
        switch (in->op) {
        case I_JMP: pc = in->x; continue;
        case I_SPLIT:
            if (add_thread(re, l, mark, gen_id, in->x, t, pos, len)) return 1;
            pc = in->y;
            continue;
        case I_ASSERT:
            if (!assert_ok(in->x, t, pos, len)) return 0;
            pc++;
            continue;
        case I_MATCH: return 1;
        default: l->pcs[l->n++] = pc; return 0;
        }
    }
}

int ul_regmatch(const ul_regex *re, const char *text, size_t len) {
    const unsigned char *t = (const unsigned char *)text;
    int *buf = malloc(sizeof(int) * (size_t)re->n * 3);
    if (!buf) ul_die("out of memory");
    tlist cur = {buf, 0}, next = {buf + re->n, 0};
    int *mark = buf + 2 * re->n;
    for (int i = 0; i < re->n; i++) mark[i] = -1;
    int found = 0;
    for (size_t pos = 0; pos <= len && !found; pos++) {
        /* a new attempt may start at every position */
        if (add_thread(re, &cur, mark, (int)pos, 0, t, pos, len)) {
            found = 1;
            break;
        }
        next.n = 0;
        for (int i = 0; i < cur.n && !found; i++) {
            const inst *in = &re->prog[cur.pcs[i]];
            if (pos >= len) continue;
            int c = t[pos], ok;
            if (in->op == I_CHAR) ok = (re->icase ? tolower(c) : c) == in->x;
            else if (in->op == I_ANY) ok = c != '\n';
            else ok = (re->sets[in->x][c >> 3] >> (c & 7)) & 1;
            if (ok && add_thread(re, &next, mark, (int)pos + 1, cur.pcs[i] + 1, t, pos + 1, len)) found = 1;
        }
        tlist tmp = cur;
        cur = next;
        next = tmp;
    }
    free(buf);
    return found;
}
