/* ls: list directory contents, one name per line; -a all, -A almost all, -l long,
 * -d directories themselves, -F type marks, -R recursive, -r reverse, -t by time, -S by size,
 * -1 accepted. Names sort in byte order (C locale).
 * WASI reports no permissions or owners: -l shows a fixed mode and owner 0. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

typedef struct {
    char *name; /* as shown */
    char *path; /* to reach it */
    struct stat st;
    int ok; /* st is valid */
} entry;

static int opt_a, opt_A, opt_l, opt_d, opt_F, opt_R, opt_r, opt_t, opt_S;
static int status = 0;
static int printed_any = 0;

static int cmp_entry(const void *a, const void *b) {
    const entry *x = a, *y = b;
    int r = 0;
    if (opt_t && x->ok && y->ok) {
        if (x->st.st_mtim.tv_sec != y->st.st_mtim.tv_sec)
            r = x->st.st_mtim.tv_sec > y->st.st_mtim.tv_sec ? -1 : 1;
        else if (x->st.st_mtim.tv_nsec != y->st.st_mtim.tv_nsec)
            r = x->st.st_mtim.tv_nsec > y->st.st_mtim.tv_nsec ? -1 : 1;
    } else if (opt_S && x->ok && y->ok && x->st.st_size != y->st.st_size) {
        r = x->st.st_size > y->st.st_size ? -1 : 1;
    }
    if (r == 0) r = strcmp(x->name, y->name);
    return opt_r ? -r : r;
}

static char type_char(mode_t m) {
    if (S_ISDIR(m)) return 'd';
    if (S_ISLNK(m)) return 'l';
    if (S_ISCHR(m)) return 'c';
    if (S_ISBLK(m)) return 'b';
    if (S_ISFIFO(m)) return 'p';
    if (S_ISSOCK(m)) return 's';
    return '-';
}

static void print_entry(const entry *e) {
    const struct stat *st = &e->st;
    if (!e->ok) {
        ul_warn("cannot access '%s': %s", e->path, strerror(ENOENT));
        status = 1;
        return;
    }
    if (opt_l) {
        const char *perm = S_ISDIR(st->st_mode) ? "rwxr-xr-x" : S_ISLNK(st->st_mode) ? "rwxrwxrwx" : "rw-r--r--";
        char when[32];
        struct tm tm;
        time_t t = st->st_mtim.tv_sec;
        gmtime_r(&t, &tm);
        time_t now = time(NULL);
        if (t > now - 15778476 && t <= now + 3600) strftime(when, sizeof when, "%b %e %H:%M", &tm);
        else strftime(when, sizeof when, "%b %e  %Y", &tm);
        out_printf("%c%s %lu 0 0 %8lld %s ", type_char(st->st_mode), perm, (unsigned long)st->st_nlink,
                   (long long)st->st_size, when);
    }
    out_puts(e->name);
    if (opt_l && S_ISLNK(st->st_mode)) {
        char target[4096];
        ssize_t n = readlink(e->path, target, sizeof target - 1);
        if (n >= 0) {
            target[n] = '\0';
            out_printf(" -> %s", target);
        }
    } else if (opt_F) {
        if (S_ISDIR(st->st_mode)) out_putc('/');
        else if (S_ISLNK(st->st_mode)) out_putc('@');
        else if (S_ISFIFO(st->st_mode)) out_putc('|');
        else if (S_ISSOCK(st->st_mode)) out_putc('=');
    }
    out_putc('\n');
}

static char *join(const char *dir, const char *name) {
    size_t dl = strlen(dir);
    char *p = malloc(dl + strlen(name) + 2);
    sprintf(p, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", name);
    return p;
}

static void list_dir(const char *path, int heading) {
    DIR *d = opendir(path);
    if (!d) {
        ul_warn("cannot open directory '%s': %s", path, strerror(errno));
        status = 2;
        return;
    }
    entry *ents = NULL;
    size_t n = 0, cap = 0;
    int dot = 0, dotdot = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (nm[0] == '.' && !opt_a) {
            if (!opt_A) continue;
            if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0) continue;
        }
        dot |= strcmp(nm, ".") == 0;
        dotdot |= strcmp(nm, "..") == 0;
        if (n + 2 >= cap) ents = realloc(ents, (cap = cap ? cap * 2 : 64) * sizeof *ents);
        ents[n++].name = strdup(nm);
    }
    closedir(d);
    if (opt_a) { /* WASI directories may not list . and .. themselves */
        if (n + 2 >= cap) ents = realloc(ents, (cap = n + 3) * sizeof *ents);
        if (!dot) ents[n++].name = strdup(".");
        if (!dotdot) ents[n++].name = strdup("..");
    }
    for (size_t i = 0; i < n; i++) {
        ents[i].path = join(path, ents[i].name);
        ents[i].ok = lstat(ents[i].path, &ents[i].st) == 0;
        /* ".." of a preopened directory is out of reach in WASI: show the directory itself */
        if (!ents[i].ok && strcmp(ents[i].name, "..") == 0) ents[i].ok = stat(path, &ents[i].st) == 0;
    }
    qsort(ents, n, sizeof *ents, cmp_entry);
    if (heading) out_printf("%s%s:\n", printed_any ? "\n" : "", path);
    printed_any = 1;
    if (opt_l) {
        unsigned long long blocks = 0;
        for (size_t i = 0; i < n; i++)
            if (ents[i].ok) blocks += ((unsigned long long)ents[i].st.st_size + 4095) / 4096 * 4;
        out_printf("total %llu\n", blocks);
    }
    for (size_t i = 0; i < n; i++) print_entry(&ents[i]);
    for (size_t i = 0; i < n; i++) {
        if (opt_R && ents[i].ok && S_ISDIR(ents[i].st.st_mode) && strcmp(ents[i].name, ".") != 0 &&
            strcmp(ents[i].name, "..") != 0)
            list_dir(ents[i].path, 1);
        free(ents[i].name);
        free(ents[i].path);
    }
    free(ents);
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "ls", "ls [-1aAdFlrRSt] [FILE]...");
    int c;
    while ((c = ul_getopt(argc, argv, "1aAdFlrRSt", NULL)) != -1) {
        switch (c) {
        case 'a': opt_a = 1; break;
        case 'A': opt_A = 1; break;
        case 'd': opt_d = 1; break;
        case 'F': opt_F = 1; break;
        case 'l': opt_l = 1; break;
        case 'r': opt_r = 1; break;
        case 'R': opt_R = 1; break;
        case 'S': opt_S = 1, opt_t = 0; break;
        case 't': opt_t = 1, opt_S = 0; break;
        }
    }
    char *dot[] = {"."};
    char **args = optind < argc ? argv + optind : dot;
    int n = optind < argc ? argc - optind : 1;
    entry *files = calloc((size_t)n, sizeof *files), *dirs = calloc((size_t)n, sizeof *dirs);
    size_t nf = 0, nd = 0;
    for (int i = 0; i < n; i++) {
        entry e = {args[i], args[i], {0}, 0};
        /* a command-line symlink to a directory is listed as the directory, except with -l/-d/-F */
        int follow = !opt_l && !opt_d && !opt_F;
        e.ok = (follow ? stat(args[i], &e.st) : lstat(args[i], &e.st)) == 0 || lstat(args[i], &e.st) == 0;
        if (!e.ok) {
            ul_warn("cannot access '%s': %s", args[i], strerror(errno));
            status = 2;
            continue;
        }
        struct stat target;
        int is_dir = S_ISDIR(e.st.st_mode) ||
                     (S_ISLNK(e.st.st_mode) && !opt_d && !opt_l && stat(args[i], &target) == 0 && S_ISDIR(target.st_mode));
        if (is_dir && !opt_d) dirs[nd++] = e;
        else files[nf++] = e;
    }
    qsort(files, nf, sizeof *files, cmp_entry);
    qsort(dirs, nd, sizeof *dirs, cmp_entry);
    for (size_t i = 0; i < nf; i++) print_entry(&files[i]);
    if (nf) printed_any = 1;
    int heading = n > 1 || status || opt_R;
    for (size_t i = 0; i < nd; i++) list_dir(dirs[i].path, heading);
    ul_exit(status);
}
