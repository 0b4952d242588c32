/* hexdump: dump bytes as hex 16-bit words, or with -C as canonical hex + ASCII;
 * -v shows repeated lines. */
#include <string.h>
#include <unistd.h>

#include "common.h"

static int canon;

static void print_line(unsigned long long addr, const unsigned char *b, size_t n) {
    if (canon) {
        out_printf("%08llx ", addr);
        for (size_t i = 0; i < 16; i++) {
            if (i == 8) out_putc(' ');
            if (i < n) out_printf(" %02x", b[i]);
            else out_puts("   ");
        }
        out_puts("  |");
        for (size_t i = 0; i < n; i++) out_putc(b[i] >= 32 && b[i] < 127 ? b[i] : '.');
        out_puts("|\n");
        return;
    }
    out_printf("%07llx", addr);
    for (size_t i = 0; i < 16; i += 2) {
        if (i < n) out_printf(" %04x", b[i] | (i + 1 < n ? b[i + 1] << 8 : 0));
        else out_puts("     ");
    }
    out_putc('\n');
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "hexdump", "hexdump [-Cv] [FILE]...");
    int c, all = 0;
    while ((c = ul_getopt(argc, argv, "Cv", NULL)) != -1) {
        if (c == 'C') canon = 1;
        else all = 1;
    }
    char *dash[] = {"-"};
    char **files = optind < argc ? argv + optind : dash;
    int nfiles = optind < argc ? argc - optind : 1;
    int status = 0;
    unsigned char line[16], prev[16];
    size_t have = 0;
    unsigned long long addr = 0;
    int prev_valid = 0, starred = 0;
    for (int i = 0; i < nfiles; i++) {
        int fd = ul_open_in(files[i]);
        if (fd < 0) {
            status = ul_file_error(files[i]);
            continue;
        }
        for (;;) {
            ssize_t r = read(fd, line + have, 16 - have);
            if (r < 0) {
                status = ul_file_error(files[i]);
                break;
            }
            if (r == 0) break;
            have += (size_t)r;
            if (have < 16) continue;
            if (!all && prev_valid && memcmp(prev, line, 16) == 0) {
                if (!starred) out_puts("*\n");
                starred = 1;
            } else {
                print_line(addr, line, 16);
                starred = 0;
            }
            memcpy(prev, line, 16);
            prev_valid = 1;
            addr += 16;
            have = 0;
        }
        if (fd > 0) close(fd);
    }
    if (have) {
        print_line(addr, line, have);
        addr += have;
    }
    if (addr) out_printf(canon ? "%08llx\n" : "%07llx\n", addr);
    ul_exit(status);
}
