/* od: dump bytes in the formats asked for: -t TYPE (a, c, d/o/u/x with size 1, 2, 4 or 8),
 * or the old -b -c -d -o -s -x (octal 2-byte words by default); -A o|d|x|n address radix,
 * -j skip and -N limit bytes, -v shows repeated lines. Multi-byte values are little-endian. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

typedef struct {
    char kind; /* a c d o u x */
    int size;  /* bytes per item */
    int width; /* printed width of one item, with its leading space */
    int pad;   /* extra columns per line, spread over the items to align the formats */
} fmt;

static fmt fmts[16];
static int nfmts;
static char radix = 'o';

static int digits(uint64_t v, int base) {
    int n = 1;
    while (v >= (uint64_t)base) v /= (uint64_t)base, n++;
    return n;
}

static void add_fmt(char kind, int size) {
    if (nfmts == 16) ul_usage_error("too many formats");
    uint64_t max = size == 8 ? UINT64_MAX : (((uint64_t)1 << (8 * size)) - 1);
    fmt f = {kind, size, 4, 0};
    if (kind == 'x') f.width = 2 * size + 1;
    else if (kind == 'o') f.width = (8 * size + 2) / 3 + 1;
    else if (kind == 'u') f.width = digits(max, 10) + 1;
    else if (kind == 'd') f.width = digits(max >> 1, 10) + 2 + (size == 8);
    if (kind == 'd' && size == 8) f.width = 21;
    fmts[nfmts++] = f;
}

/* -t TYPE: one or more of a, c, [doux][SIZE] */
static void parse_type(const char *s) {
    while (*s) {
        char k = *s++;
        if (k == 'a' || k == 'c') {
            add_fmt(k, 1);
            continue;
        }
        if (!strchr("doux", k)) ul_usage_error("invalid type string '%s'", s - 1);
        int size = 4;
        if (*s == 'C') size = 1, s++;
        else if (*s == 'S') size = 2, s++;
        else if (*s == 'I') size = 4, s++;
        else if (*s == 'L') size = 8, s++;
        else if (*s >= '0' && *s <= '9') {
            char *end;
            long v = strtol(s, &end, 10);
            if (v != 1 && v != 2 && v != 4 && v != 8) ul_usage_error("invalid type string '%s'", s - 1);
            size = (int)v;
            s = end;
        }
        add_fmt(k, size);
    }
}

static void print_addr(unsigned long long a) {
    if (radix == 'o') out_printf("%07llo", a);
    else if (radix == 'd') out_printf("%07llu", a);
    else if (radix == 'x') out_printf("%06llx", a);
}

static const char *const names[33] = {"nul", "soh", "stx", "etx", "eot", "enq", "ack", "bel", "bs",
                                      "ht",  "nl",  "vt",  "ff",  "cr",  "so",  "si",  "dle", "dc1",
                                      "dc2", "dc3", "dc4", "nak", "syn", "etb", "can", "em",  "sub",
                                      "esc", "fs",  "gs",  "rs",  "us",  "sp"};

static void print_char(unsigned char ch, int w, int named) {
    if (named) {
        ch &= 0x7f;
        if (ch <= 32) out_printf("%*s", w, names[ch]);
        else if (ch == 127) out_printf("%*s", w, "del");
        else out_printf("%*c", w, ch);
        return;
    }
    const char *esc = NULL;
    switch (ch) {
    case 0: esc = "\\0"; break;
    case '\a': esc = "\\a"; break;
    case '\b': esc = "\\b"; break;
    case '\f': esc = "\\f"; break;
    case '\n': esc = "\\n"; break;
    case '\r': esc = "\\r"; break;
    case '\t': esc = "\\t"; break;
    case '\v': esc = "\\v"; break;
    }
    if (esc) out_printf("%*s", w, esc);
    else if (ch >= 32 && ch < 127) out_printf("%*c", w, ch);
    else out_printf("%*s%03o", w - 3, "", ch);
}

static void print_line(const unsigned char *b, size_t n) {
    for (int k = 0; k < nfmts; k++) {
        const fmt *f = &fmts[k];
        if (k > 0 && radix != 'n') out_printf("%*s", radix == 'x' ? 6 : 7, "");
        int fields = 16 / f->size, pad_left = f->pad;
        for (int i = 0; i < fields; i++) {
            size_t at = (size_t)i * (size_t)f->size;
            int next_pad = f->pad * (fields - i - 1) / fields;
            int w = f->width + pad_left - next_pad; /* like GNU: spread the padding */
            pad_left = next_pad;
            if (at >= n) break;
            uint64_t v = 0;
            for (int j = f->size - 1; j >= 0; j--) v = v << 8 | (at + (size_t)j < n ? b[at + (size_t)j] : 0);
            int digs = f->width - 1;
            switch (f->kind) {
            case 'o': out_printf("%*s%0*llo", w - digs, "", digs, (unsigned long long)v); break;
            case 'x': out_printf("%*s%0*llx", w - digs, "", digs, (unsigned long long)v); break;
            case 'u': out_printf("%*llu", w, (unsigned long long)v); break;
            case 'd': {
                int64_t sv = f->size == 8 ? (int64_t)v
                                          : (int64_t)(v ^ ((uint64_t)1 << (8 * f->size - 1))) -
                                                (int64_t)((uint64_t)1 << (8 * f->size - 1));
                out_printf("%*lld", w, (long long)sv);
                break;
            }
            case 'c': print_char((unsigned char)v, w, 0); break;
            case 'a': print_char((unsigned char)v, w, 1); break;
            }
        }
        out_putc('\n');
    }
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "od", "od [-bcdosxv] [-t TYPE]... [-A RADIX] [-j BYTES] [-N BYTES] [FILE]...");
    int c, all = 0;
    unsigned long long skip = 0, limit = (unsigned long long)-1;
    while ((c = ul_getopt(argc, argv, "bcdosxvt:A:j:N:", NULL)) != -1) {
        switch (c) {
        case 'v': all = 1; break;
        case 'A':
            if (strlen(optarg) != 1 || !strchr("odxn", optarg[0]))
                ul_usage_error("invalid output address radix '%s'; it must be one character from [doxn]",
                               optarg);
            radix = optarg[0];
            break;
        case 'j':
        case 'N':
            if (ul_parse_ulong(optarg, c == 'j' ? &skip : &limit) != 0)
                ul_usage_error("invalid %s argument '%s'", c == 'j' ? "skip" : "count", optarg);
            break;
        case 't': parse_type(optarg); break;
        case 'b': add_fmt('o', 1); break;
        case 'c': add_fmt('c', 1); break;
        case 'd': add_fmt('u', 2); break;
        case 'o': add_fmt('o', 2); break;
        case 's': add_fmt('d', 2); break;
        case 'x': add_fmt('x', 2); break;
        }
    }
    if (nfmts == 0) add_fmt('o', 2);
    int line_width = 0;
    for (int k = 0; k < nfmts; k++)
        if (fmts[k].width * (16 / fmts[k].size) > line_width) line_width = fmts[k].width * (16 / fmts[k].size);
    for (int k = 0; k < nfmts; k++) fmts[k].pad = line_width - fmts[k].width * (16 / fmts[k].size);

    char *dash[] = {"-"};
    char **files = optind < argc ? argv + optind : dash;
    int nfiles = optind < argc ? argc - optind : 1;
    int status = 0;
    /* the files are one stream */
    unsigned char line[16], prev[16];
    size_t have = 0;
    unsigned long long addr = skip, left = limit;
    int prev_valid = 0, starred = 0;
    for (int i = 0; i < nfiles && left > 0; i++) {
        int fd = ul_open_in(files[i]);
        if (fd < 0) {
            status = ul_file_error(files[i]);
            continue;
        }
        while (left > 0) {
            unsigned char junk[4096];
            size_t want = skip ? (skip < sizeof junk ? (size_t)skip : sizeof junk) : 16 - have;
            if (!skip && want > left) want = (size_t)left;
            ssize_t r = read(fd, skip ? junk : line + have, want);
            if (r < 0) {
                status = ul_file_error(files[i]);
                break;
            }
            if (r == 0) break;
            if (skip) {
                skip -= (unsigned long long)r;
                continue;
            }
            have += (size_t)r;
            left -= (unsigned long long)r;
            if (have < 16) continue;
            if (!all && prev_valid && memcmp(prev, line, 16) == 0) {
                if (!starred) out_puts("*\n");
                starred = 1;
            } else {
                print_addr(addr);
                print_line(line, 16);
                starred = 0;
            }
            memcpy(prev, line, 16);
            prev_valid = 1;
            addr += 16;
            have = 0;
        }
        if (fd > 0) close(fd);
    }
    if (skip) ul_die("cannot skip past end of combined input");
    if (have) {
        print_addr(addr);
        print_line(line, have);
        addr += have;
    }
    if (radix != 'n') {
        print_addr(addr);
        out_putc('\n');
    }
    ul_exit(status);
}
