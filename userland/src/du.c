/* du: disk usage in 1 KiB units; -s totals only, -a all files too, -b bytes.
 * WASI reports sizes but not blocks, so usage is the size rounded up to 4 KiB blocks. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"

static int opt_s, opt_a, opt_b, status;

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static unsigned long long usage(const struct stat *st) {
    if (opt_b) return (unsigned long long)st->st_size;
    return ((unsigned long long)st->st_size + 4095) / 4096 * 4;
}

static void show(unsigned long long n, const char *path) {
    out_printf("%llu\t%s\n", opt_b ? n : n, path);
}

static unsigned long long walk(const char *path, int depth) {
    struct stat st;
    if (lstat(path, &st) != 0) {
        ul_warn("cannot access '%s': %s", path, strerror(errno));
        status = 1;
        return 0;
    }
    unsigned long long total = usage(&st);
    if (!S_ISDIR(st.st_mode)) {
        if (depth == 0 || (opt_a && !opt_s)) show(total, path);
        return total;
    }
    if (!opt_b) total = 4; /* the directory itself */
    DIR *d = opendir(path);
    if (!d) {
        ul_warn("cannot read directory '%s': %s", path, strerror(errno));
        status = 1;
    } else {
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
            total += walk(child, depth + 1);
            free(child);
            free(names[i]);
        }
        free(names);
    }
    if (!opt_s || depth == 0) show(total, path);
    return total;
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "du", "du [-abs] [FILE]...");
    int c;
    while ((c = ul_getopt(argc, argv, "absk", NULL)) != -1) {
        if (c == 'a') opt_a = 1;
        else if (c == 'b') opt_b = 1;
        else if (c == 's') opt_s = 1;
    }
    if (opt_a && opt_s) ul_usage_error("cannot both summarize and show all entries");
    if (optind >= argc) walk(".", 0);
    for (int i = optind; i < argc; i++) walk(argv[i], 0);
    ul_exit(status);
}
