/* seq: print a sequence of numbers: seq [-w] [-s SEP] [FIRST [INCR]] LAST. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* digits after the decimal point, or -1 if not a plain decimal number */
static int decimals(const char *s) {
    const char *dot = strchr(s, '.');
    if (!dot || strpbrk(s, "eExXnNiI")) return strpbrk(s, "eExXnNiI") ? -1 : 0;
    return (int)strlen(dot + 1);
}

static double parse(const char *s) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || isnan(v)) ul_usage_error("invalid floating point argument: '%s'", s);
    return v;
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "seq", "seq [-w] [-s SEPARATOR] [FIRST [INCREMENT]] LAST");
    const char *sep = "\n";
    int equal = 0, i = 1;
    /* options end at the first argument that looks like a number (seq -1 1 is numbers) */
    while (i < argc && argv[i][0] == '-' && argv[i][1] && !isdigit((unsigned char)argv[i][1]) &&
           argv[i][1] != '.') {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (strcmp(argv[i], "-w") == 0) {
            equal = 1;
        } else if (strncmp(argv[i], "-s", 2) == 0) {
            if (argv[i][2]) sep = argv[i] + 2;
            else if (i + 1 < argc) sep = argv[++i];
            else ul_usage_error("option requires an argument -- 's'");
        } else {
            ul_usage_error("invalid option -- '%s'", argv[i] + 1);
        }
        i++;
    }
    int n = argc - i;
    if (n < 1) ul_usage_error("missing operand");
    if (n > 3) ul_usage_error("extra operand '%s'", argv[i + 3]);
    double first = 1, incr = 1, last;
    int prec = 0;
    if (n == 1) {
        last = parse(argv[i]);
    } else {
        first = parse(argv[i]);
        if (n == 3) incr = parse(argv[i + 1]);
        last = parse(argv[i + n - 1]);
        prec = decimals(argv[i]);
        if (n == 3 && decimals(argv[i + 1]) > prec) prec = decimals(argv[i + 1]);
    }
    if (prec < 0) prec = 6;
    if (incr == 0) ul_usage_error("invalid Zero increment value: '%s'", argv[i + 1]);
    int width = 0;
    if (equal) {
        char a[64], b[64];
        snprintf(a, sizeof a, "%.*f", prec, first);
        snprintf(b, sizeof b, "%.*f", prec, last);
        width = (int)(strlen(a) > strlen(b) ? strlen(a) : strlen(b));
    }
    int printed = 0;
    for (long long k = 0;; k++) {
        double v = first + (double)k * incr;
        if (incr > 0 ? v > last + 1e-10 * fabs(incr) : v < last - 1e-10 * fabs(incr)) break;
        if (printed) out_puts(sep);
        if (equal) out_printf("%0*.*f", width, prec, v);
        else out_printf("%.*f", prec, v);
        printed = 1;
    }
    if (printed) out_putc('\n');
    ul_exit(0);
}
