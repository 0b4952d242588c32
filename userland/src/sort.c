/* sort: sort lines of files or stdin.
 * -n numeric, -r reverse, -u unique, -f fold case, -b ignore leading blanks, -s stable,
 * -t SEP field separator, -k F[.C][nrfb][,F[.C][nrfb]] sort keys, -o FILE output. */
#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

typedef struct {
    const char *s;
    size_t len; /* without the newline */
    size_t idx; /* input order, for -s and equal lines */
} line;

typedef struct {
    long f1, c1, f2, c2; /* f2 == 0: to the end of the line; c2 == 0: to the end of field f2 */
    int n, r, f, bs, be; /* bs/be: skip blanks before the start / end position */
} key;

static key keys[32];
static int nkeys;
static int opt_u, opt_s, opt_r;
static int tab = -1;

static int blank(int c) { return c == ' ' || c == '\t'; }

/* Where field f (1-based) starts; without -t a field includes its leading blanks. */
static size_t field_start(const line *l, long f) {
    size_t i = 0;
    for (long k = 1; k < f; k++) {
        if (tab >= 0) {
            const char *p = memchr(l->s + i, tab, l->len - i);
            if (!p) return l->len;
            i = (size_t)(p - l->s) + 1;
        } else {
            while (i < l->len && blank(l->s[i])) i++;
            while (i < l->len && !blank(l->s[i])) i++;
        }
    }
    return i;
}

static size_t field_end(const line *l, long f) {
    size_t i = field_start(l, f);
    if (tab >= 0) {
        const char *p = memchr(l->s + i, tab, l->len - i);
        return p ? (size_t)(p - l->s) : l->len;
    }
    while (i < l->len && blank(l->s[i])) i++;
    while (i < l->len && !blank(l->s[i])) i++;
    return i;
}

/* Like GNU sort: character offsets may run past the field, up to the end of the line. */
static void key_span(const line *l, const key *k, size_t *start, size_t *end) {
    size_t s = field_start(l, k->f1);
    if (k->bs)
        while (s < l->len && blank(l->s[s])) s++;
    s += (size_t)(k->c1 - 1);
    if (s > l->len) s = l->len;
    size_t e = l->len;
    if (k->f2) {
        if (k->c2 == 0) {
            e = field_end(l, k->f2);
        } else {
            e = field_start(l, k->f2);
            if (k->be)
                while (e < l->len && blank(l->s[e])) e++;
            e += (size_t)k->c2;
            if (e > l->len) e = l->len;
        }
    }
    if (e < s) e = s;
    *start = s;
    *end = e;
}

/* Compare the leading numbers (blanks, '-', digits, '.digits') as strings, so long
 * numbers compare exactly; text after the number does not take part. */
static void num_span(const char *s, size_t len, int *neg, const char **ip, size_t *il,
                     const char **fp, size_t *fl) {
    size_t i = 0;
    while (i < len && blank(s[i])) i++;
    *neg = 0;
    if (i < len && s[i] == '-') *neg = 1, i++;
    while (i < len && s[i] == '0') i++;
    size_t a = i;
    while (i < len && isdigit((unsigned char)s[i])) i++;
    *ip = s + a;
    *il = i - a;
    *fp = s + i;
    *fl = 0;
    if (i < len && s[i] == '.') {
        i++;
        size_t b = i;
        while (i < len && isdigit((unsigned char)s[i])) i++;
        size_t e = i;
        while (e > b && s[e - 1] == '0') e--;
        *fp = s + b;
        *fl = e - b;
    }
}

static int num_cmp(const char *x, size_t xl, const char *y, size_t yl) {
    int nx, ny;
    const char *ix, *iy, *fx, *fy;
    size_t ilx, ily, flx, fly;
    num_span(x, xl, &nx, &ix, &ilx, &fx, &flx);
    num_span(y, yl, &ny, &iy, &ily, &fy, &fly);
    if (ilx == 0 && flx == 0) nx = 0; /* -0 is 0 */
    if (ily == 0 && fly == 0) ny = 0;
    if (nx != ny) return nx ? -1 : 1;
    int r;
    if (ilx != ily) {
        r = ilx < ily ? -1 : 1;
    } else {
        r = memcmp(ix, iy, ilx);
        if (r == 0) {
            size_t m = flx < fly ? flx : fly;
            r = memcmp(fx, fy, m);
            if (r == 0 && flx != fly) r = flx < fly ? -1 : 1;
        }
    }
    r = r < 0 ? -1 : r > 0;
    return nx ? -r : r;
}

static int text_cmp(const char *x, size_t xl, const char *y, size_t yl, int fold) {
    size_t m = xl < yl ? xl : yl;
    for (size_t i = 0; i < m; i++) {
        int a = (unsigned char)x[i], b = (unsigned char)y[i];
        if (fold) a = toupper(a), b = toupper(b);
        if (a != b) return a < b ? -1 : 1;
    }
    return xl == yl ? 0 : (xl < yl ? -1 : 1);
}

/* the key comparison; -u treats lines that compare equal here as duplicates */
static int keys_cmp(const line *x, const line *y) {
    for (int i = 0; i < nkeys; i++) {
        const key *k = &keys[i];
        size_t xs, xe, ys, ye;
        key_span(x, k, &xs, &xe);
        key_span(y, k, &ys, &ye);
        int r = k->n ? num_cmp(x->s + xs, xe - xs, y->s + ys, ye - ys)
                     : text_cmp(x->s + xs, xe - xs, y->s + ys, ye - ys, k->f);
        if (r) return k->r ? -r : r;
    }
    return 0;
}

static int full_cmp(const void *a, const void *b) {
    const line *x = a, *y = b;
    int r = keys_cmp(x, y);
    if (r == 0 && !opt_u && !opt_s) { /* last resort: the bytes */
        r = text_cmp(x->s, x->len, y->s, y->len, 0);
        if (opt_r) r = -r;
    }
    if (r == 0) r = x->idx < y->idx ? -1 : (x->idx > y->idx);
    return r;
}

/* F[.C][opts]; returns 0 or -1 */
static int parse_pos(const char **pp, long *f, long *c, key *k, int *b) {
    const char *p = *pp;
    char *end;
    *f = strtol(p, &end, 10);
    if (end == p || *f < 0) return -1;
    p = end;
    *c = 0;
    if (*p == '.') {
        *c = strtol(p + 1, &end, 10);
        if (end == p + 1 || *c < 0) return -1;
        p = end;
    }
    for (; *p && *p != ','; p++) {
        if (*p == 'n') k->n = 1;
        else if (*p == 'r') k->r = 1;
        else if (*p == 'f') k->f = 1;
        else if (*p == 'b') *b = 1;
        else return -1;
    }
    *pp = p;
    return 0;
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "sort", "sort [-bfnrsu] [-t SEP] [-k KEY]... [-o FILE] [FILE]...");
    int c, g_n = 0, g_f = 0, g_b = 0;
    const char *outfile = NULL;
    const char *keyspecs[32];
    int nspecs = 0;
    while ((c = ul_getopt(argc, argv, "bfnrsuo:t:k:", NULL)) != -1) {
        switch (c) {
        case 'b': g_b = 1; break;
        case 'f': g_f = 1; break;
        case 'n': g_n = 1; break;
        case 'r': opt_r = 1; break;
        case 's': opt_s = 1; break;
        case 'u': opt_u = 1; break;
        case 'o': outfile = optarg; break;
        case 't':
            if (strlen(optarg) != 1) ul_usage_error("multi-character tab '%s'", optarg);
            tab = (unsigned char)optarg[0];
            break;
        case 'k':
            if (nspecs == 32) ul_usage_error("too many keys");
            keyspecs[nspecs++] = optarg;
            break;
        }
    }
    for (int i = 0; i < nspecs; i++) {
        key k = {0};
        const char *p = keyspecs[i];
        if (parse_pos(&p, &k.f1, &k.c1, &k, &k.bs) != 0 || k.f1 == 0)
            ul_usage_error("invalid field specification '%s'", keyspecs[i]);
        if (k.c1 == 0) k.c1 = 1;
        if (*p == ',') {
            p++;
            if (parse_pos(&p, &k.f2, &k.c2, &k, &k.be) != 0 || k.f2 == 0 || *p)
                ul_usage_error("invalid field specification '%s'", keyspecs[i]);
        } else if (*p) {
            ul_usage_error("invalid field specification '%s'", keyspecs[i]);
        }
        if (!k.n && !k.r && !k.f && !k.bs && !k.be) { /* a key without options takes the global ones */
            k.n = g_n, k.f = g_f, k.bs = k.be = g_b, k.r = opt_r;
        }
        keys[nkeys++] = k;
    }
    if (nkeys == 0) keys[nkeys++] = (key){1, 1, 0, 0, g_n, opt_r, g_f, g_b, g_b};

    char *dash[] = {"-"};
    char **files = optind < argc ? argv + optind : dash;
    int nfiles = optind < argc ? argc - optind : 1;
    line *lines = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < nfiles; i++) {
        char *data;
        size_t len;
        int fd = ul_open_in(files[i]);
        if (fd < 0 || ul_read_all(fd, &data, &len) < 0) {
            ul_file_error(files[i]); /* like GNU: no output at all */
            ul_exit(2);
        }
        if (fd > 0) close(fd);
        for (size_t p = 0; p < len;) {
            char *nl = memchr(data + p, '\n', len - p);
            size_t e = nl ? (size_t)(nl - data) : len;
            if (n == cap) {
                cap = cap ? cap * 2 : 1024;
                lines = realloc(lines, cap * sizeof *lines);
                if (!lines) ul_die("out of memory");
            }
            lines[n] = (line){data + p, e - p, n};
            n++;
            p = e + 1;
        }
    }
    qsort(lines, n, sizeof *lines, full_cmp);
    if (outfile) {
        int fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd < 0) {
            ul_file_error(outfile);
            ul_exit(2);
        }
        ul_out_fd = fd;
    }
    for (size_t i = 0; i < n; i++) {
        if (opt_u && i > 0 && keys_cmp(&lines[i - 1], &lines[i]) == 0) continue;
        out_write(lines[i].s, lines[i].len);
        out_putc('\n');
    }
    ul_exit(0);
}
