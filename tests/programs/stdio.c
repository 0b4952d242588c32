/* stdio through wasi-libc: formatted output on both streams, stdin to EOF, a file round trip. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "transcript.h"

static char outbuf[64];

static void formatted(void) {
    printf("int %d %i %u %ld %lld\n", -42, 7, 4000000000u, -123456789L, 9007199254740993LL);
    printf("hex %x %X %#x %o %08x\n", 48879, 48879, 255, 8, 0x1234);
    printf("float %.3f %g %e %.0f %g\n", 3.14159, 0.0001, 12345.678, 2.5, 1e300 * 10);
    printf("str [%s] [%10s] [%-10s] [%.3s] %c %%\n", "abc", "right", "left", "truncate", 'z');
    printf("width [%5d] [%-5d] [%05d] [%+d]\n", 42, 42, 42, 42);
    fputs("fputs line\n", stdout);
    const char bin[] = {'b', 'i', 'n', 0, 1, 2, '\n'};
    size_t n = fwrite(bin, 1, sizeof bin, stdout);
    printf("fwrite stdout: %zu\n", n);
    fprintf(stderr, "to stderr %d\n", 1);
    fputs("fputs stderr\n", stderr);
    n = fwrite("raw stderr\n", 1, 11, stderr);
    printf("fwrite stderr: %zu\n", n);
}

static void read_stdin(void) {
    char line[16];
    int lines = 0, partial = 0;
    size_t total = 0;
    unsigned h = FNV_START;
    /* the first three reads by fgets with a small buffer: a long line comes in pieces */
    for (int i = 0; i < 3 && fgets(line, sizeof line, stdin); i++) {
        size_t len = strlen(line);
        total += len;
        h = fnv(h, line, len);
        if (len && line[len - 1] == '\n')
            lines++;
        else
            partial++;
        printf("fgets %d: %zu bytes\n", i, len);
    }
    int c = getc(stdin);
    int back = ungetc(c, stdin);
    int again = getc(stdin);
    printf("ungetc stdin: %d same=%d\n", back == c, again == c);
    if (again != EOF) {
        char ch = (char)again;
        total++;
        h = fnv(h, &ch, 1);
    }
    char big[40];
    size_t got;
    int reads = 0;
    while ((got = fread(big, 1, sizeof big, stdin)) > 0) {
        total += got;
        h = fnv(h, big, got);
        for (size_t i = 0; i < got; i++)
            lines += big[i] == '\n';
        reads++;
    }
    printf("fread stdin: %d reads\n", reads > 0);
    printf("stdin: %zu bytes, %d full fgets lines, %d partial, fnv %08x\n", total, lines, partial,
           h);
    printf("feof=%d ferror=%d\n", feof(stdin) != 0, ferror(stdin) != 0);
    clearerr(stdin);
    printf("after clearerr feof=%d, getc at EOF=%d\n", feof(stdin) != 0, getc(stdin) == EOF);
}

static void file_round_trip(void) {
    FILE *f = fopen("stdio_out.txt", "w+");
    outcome("fopen w+", f == NULL);
    if (!f) {
        t_failures++;
        return;
    }
    for (int i = 0; i < 5; i++)
        fprintf(f, "line %d of the file\n", i);
    long end = ftell(f);
    printf("ftell after writing: %ld\n", end);
    CHECK("fseek to start", fseek(f, 0, SEEK_SET) == 0);
    char buf[256];
    size_t n = fread(buf, 1, sizeof buf, f);
    printf("fread back: %zu bytes, fnv %08x\n", n, fnv(FNV_START, buf, n));
    CHECK("read back what was written", n == (size_t)end && memcmp(buf, "line 0 of", 9) == 0);
    CHECK("fseek -7 from end", fseek(f, -7, SEEK_END) == 0);
    printf("ftell: %ld\n", ftell(f));
    n = fread(buf, 1, sizeof buf, f);
    printf("tail: [%.*s]\n", (int)n - 1, buf);
    CHECK("fseek 6 from start", fseek(f, 6, SEEK_SET) == 0);
    int c = fgetc(f);
    printf("fgetc at 6: %c\n", c);
    printf("ungetc X: %c\n", ungetc('X', f));
    printf("fgetc after ungetc: %c\n", fgetc(f));
    printf("ftell after ungetc+fgetc: %ld\n", ftell(f));
    CHECK("fseek 2 from current", fseek(f, 2, SEEK_CUR) == 0);
    printf("ftell: %ld, next: %c\n", ftell(f), fgetc(f));
    CHECK("overwrite in place", fseek(f, 0, SEEK_SET) == 0 && fputs("LINE", f) >= 0);
    CHECK("fclose", fclose(f) == 0);

    f = fopen("stdio_out.txt", "a");
    outcome("fopen a", f == NULL);
    if (f) {
        fputs("appended\n", f);
        fclose(f);
    }
    f = fopen("stdio_out.txt", "r");
    outcome("fopen r", f == NULL);
    if (f) {
        char line[64];
        int i = 0;
        while (fgets(line, sizeof line, f))
            printf("file %d: %s", i++, line);
        printf("fputc on a read-only stream: %d\n", fputc('x', f) == EOF);
        fclose(f);
    }
    f = fopen("missing/stdio_out.txt", "w");
    outcome("fopen in a missing directory", f == NULL);
}

int main(void) {
    if (chdir(WORKDIR) != 0)
        return 2;
    /* before any output: stdout fully buffered in a small buffer, stderr unbuffered */
    int r1 = setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    int r2 = setvbuf(stderr, NULL, _IONBF, 0);
    printf("setvbuf: %d %d\n", r1, r2);
    printf("isatty: %d %d %d\n", isatty(0), isatty(1), isatty(2));
    formatted();
    read_stdin();
    file_round_trip();
    return finish();
}
