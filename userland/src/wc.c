/* wc: count lines, words and bytes (or characters) of files or stdin. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

typedef struct {
    unsigned long long lines, words, chars, bytes;
} counts;

static int opt_l, opt_w, opt_c, opt_m;
static int width = 1;

static int count_fd(int fd, counts *c) {
    char buf[16384];
    int in_word = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) break;
        c->bytes += (unsigned long long)n;
        for (ssize_t i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)buf[i];
            if (ch == '\n') c->lines++;
            if ((ch & 0xC0) != 0x80) c->chars++;
            if (isspace(ch)) {
                in_word = 0;
            } else if (!in_word) {
                in_word = 1;
                c->words++;
            }
        }
    }
    return 0;
}

static void print_counts(const counts *c, const char *name) {
    const char *sep = "";
    if (opt_l) { out_printf("%*llu", width, c->lines); sep = " "; }
    if (opt_w) { out_printf("%s%*llu", sep, width, c->words); sep = " "; }
    if (opt_m) { out_printf("%s%*llu", sep, width, c->chars); sep = " "; }
    if (opt_c) { out_printf("%s%*llu", sep, width, c->bytes); sep = " "; }
    if (name) out_printf(" %s", name);
    out_putc('\n');
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "wc", "wc [-clmw] [FILE]...");
    int ch;
    while ((ch = ul_getopt(argc, argv, "clmw", NULL)) != -1) {
        if (ch == 'c') opt_c = 1;
        else if (ch == 'l') opt_l = 1;
        else if (ch == 'm') opt_m = 1;
        else if (ch == 'w') opt_w = 1;
    }
    if (!opt_c && !opt_l && !opt_m && !opt_w) opt_l = opt_w = opt_c = 1;
    int nfiles = argc - optind;
    char **files = argv + optind;
    int ncounts = opt_c + opt_l + opt_m + opt_w;

    /* like GNU: one number of one input needs no padding; otherwise pad to the
     * width of the total size of regular files, at least 7 if any input is not one */
    if (!(ncounts == 1 && nfiles <= 1)) {
        unsigned long long total = 0;
        int minimum = 1;
        if (nfiles == 0) minimum = 7;
        for (int i = 0; i < nfiles; i++) {
            struct stat st;
            int ok = strcmp(files[i], "-") == 0 ? fstat(0, &st) : stat(files[i], &st);
            if (ok == 0 && S_ISREG(st.st_mode)) total += (unsigned long long)st.st_size;
            else if (ok == 0) minimum = 7;
        }
        for (width = 1; total >= 10; total /= 10) width++;
        if (width < minimum) width = minimum;
    }

    int status = 0;
    if (nfiles == 0) {
        counts c = {0};
        if (count_fd(0, &c) < 0) status = ul_file_error("-");
        else print_counts(&c, NULL);
        ul_exit(status);
    }
    counts total = {0};
    for (int i = 0; i < nfiles; i++) {
        counts c = {0};
        int fd = ul_open_in(files[i]);
        if (fd < 0 || count_fd(fd, &c) < 0) {
            status = ul_file_error(files[i]);
        } else {
            print_counts(&c, files[i]);
        }
        if (fd > 0) close(fd);
        total.lines += c.lines;
        total.words += c.words;
        total.chars += c.chars;
        total.bytes += c.bytes;
    }
    if (nfiles > 1) print_counts(&total, "total");
    ul_exit(status);
}
