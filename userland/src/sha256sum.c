/* sha256sum: print or check (-c) SHA-256 checksums (FIPS 180-4). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common.h"

typedef struct {
    uint32_t h[8];
    uint64_t len;
    unsigned char block[64];
    size_t fill;
} sha256;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void compress(sha256 *s, const unsigned char *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
    uint32_t e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
    s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha_init(sha256 *s) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, iv, sizeof iv);
    s->len = 0;
    s->fill = 0;
}

static void sha_update(sha256 *s, const unsigned char *p, size_t n) {
    s->len += n;
    while (n > 0) {
        size_t take = 64 - s->fill < n ? 64 - s->fill : n;
        memcpy(s->block + s->fill, p, take);
        s->fill += take, p += take, n -= take;
        if (s->fill == 64) {
            compress(s, s->block);
            s->fill = 0;
        }
    }
}

static void sha_final(sha256 *s, char hex[65]) {
    uint64_t bits = s->len * 8;
    unsigned char pad = 0x80, zero = 0, lenb[8];
    sha_update(s, &pad, 1);
    while (s->fill != 56) sha_update(s, &zero, 1);
    for (int i = 0; i < 8; i++) lenb[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha_update(s, lenb, 8);
    for (int i = 0; i < 8; i++) snprintf(hex + 8 * i, 9, "%08x", s->h[i]);
}

static int hash_file(const char *name, char hex[65]) {
    int fd = ul_open_in(name);
    if (fd < 0) return -1;
    sha256 s;
    sha_init(&s);
    unsigned char buf[16384];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            if (fd > 0) close(fd);
            errno = e;
            return -1;
        }
        if (r == 0) break;
        sha_update(&s, buf, (size_t)r);
    }
    if (fd > 0) close(fd);
    sha_final(&s, hex);
    return 0;
}

static int check(const char *list) {
    int fd = ul_open_in(list);
    if (fd < 0) return ul_file_error(list);
    ul_reader r;
    ul_reader_init(&r, fd);
    char *l;
    long len;
    int bad = 0, missing = 0, malformed = 0, ok_lines = 0;
    while ((len = ul_getline(&r, &l)) > 0) {
        if (l[len - 1] == '\n') l[--len] = '\0';
        else {
            /* last line without newline: copy to terminate */
            char *t = malloc((size_t)len + 1);
            memcpy(t, l, (size_t)len);
            t[len] = '\0';
            l = t;
        }
        if (len < 67 || l[64] != ' ' || (l[65] != ' ' && l[65] != '*')) {
            malformed++;
            continue;
        }
        ok_lines++;
        const char *name = l + 66;
        char hex[65];
        if (hash_file(name, hex) < 0) {
            ul_file_error(name);
            out_printf("%s: FAILED open or read\n", name);
            missing++;
            continue;
        }
        int same = strncasecmp(hex, l, 64) == 0;
        out_printf("%s: %s\n", name, same ? "OK" : "FAILED");
        if (!same) bad++;
    }
    if (fd > 0) close(fd);
    if (ok_lines == 0) {
        ul_warn("%s: no properly formatted checksum lines found", list);
        return 1;
    }
    if (malformed) ul_warn("WARNING: %d line%s improperly formatted", malformed, malformed > 1 ? "s are" : " is");
    if (missing) ul_warn("WARNING: %d listed file%s could not be read", missing, missing > 1 ? "s" : "");
    if (bad) ul_warn("WARNING: %d computed checksum%s did NOT match", bad, bad > 1 ? "s" : "");
    return bad || missing;
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "sha256sum", "sha256sum [-c] [FILE]...");
    int c, checking = 0;
    while ((c = ul_getopt(argc, argv, "cbt", NULL)) != -1) {
        if (c == 'c') checking = 1;
    }
    char *dash[] = {"-"};
    char **files = optind < argc ? argv + optind : dash;
    int nfiles = optind < argc ? argc - optind : 1;
    int status = 0;
    for (int i = 0; i < nfiles; i++) {
        if (checking) {
            if (check(files[i])) status = 1;
            continue;
        }
        char hex[65];
        if (hash_file(files[i], hex) < 0) status = ul_file_error(files[i]);
        else out_printf("%s  %s\n", hex, files[i]);
    }
    ul_exit(status);
}
