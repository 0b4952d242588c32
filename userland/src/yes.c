/* yes: repeat a line (default "y") until the reader goes away. */
#include <stdlib.h>
#include <string.h>

#include "common.h"

int main(int argc, char **argv) {
    ul_init(argc, argv, "yes", "yes [STRING]...");
    size_t len = 0;
    for (int i = 1; i < argc; i++) len += strlen(argv[i]) + 1;
    char *line;
    if (argc < 2) {
        line = "y\n";
        len = 2;
    } else {
        line = malloc(len);
        if (!line) ul_die("out of memory");
        char *p = line;
        for (int i = 1; i < argc; i++) {
            size_t n = strlen(argv[i]);
            memcpy(p, argv[i], n);
            p += n;
            *p++ = i + 1 < argc ? ' ' : '\n';
        }
    }
    /* fill a buffer with whole copies so each write carries many lines */
    size_t copies = len < 4096 ? 4096 / len : 1;
    char *buf = malloc(len * copies);
    if (!buf) ul_die("out of memory");
    for (size_t i = 0; i < copies; i++) memcpy(buf + i * len, line, len);
    for (;;) ul_write_fd(1, buf, len * copies, "write error");
}
