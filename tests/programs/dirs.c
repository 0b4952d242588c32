/* Directories through wasi-libc: 1,000 entries listed, deleted while listing, scandir, types.
 *
 * Listing order is the runtime's business, so names are sorted before they are printed or
 * fingerprinted. What readdir returns after an entry it has not reached yet is removed is
 * unspecified (POSIX), so only facts every runtime must agree on are printed.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transcript.h"

#define COUNT 1000

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of ``path`` (without . and ..); *dots counts the dot entries seen. */
static char **list(const char *path, int *n, int *dots) {
    DIR *d = opendir(path);
    *n = 0;
    *dots = 0;
    if (!d) {
        outcome("opendir", 1);
        return NULL;
    }
    char **names = malloc(sizeof(char *) * (COUNT + 16));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
            (*dots)++;
            continue;
        }
        if (*n < COUNT + 16)
            names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof(char *), cmp_names);
    return names;
}

static unsigned fingerprint(char **names, int n) {
    unsigned h = FNV_START;
    for (int i = 0; i < n; i++)
        h = fnv(fnv(h, names[i], strlen(names[i])), "\n", 1);
    return h;
}

static void free_names(char **names, int n) {
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static void make_many(void) {
    TRY("mkdir many", mkdir("many", 0755));
    int made = 0;
    for (int i = 0; i < COUNT; i++) {
        char name[32];
        snprintf(name, sizeof name, "many/f%04d", i);
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0) {
            outcome(name, 1);
            continue;
        }
        if (write(fd, name + 5, 5) == 5)
            made++;
        close(fd);
    }
    printf("created: %d\n", made);

    int n, dots;
    char **names = list("many", &n, &dots);
    printf("readdir: %d entries, %d dot entries, fnv %08x\n", n, dots, fingerprint(names, n));
    if (n >= 3)
        printf("first %s %s, last %s\n", names[0], names[1], names[n - 1]);
    free_names(names, n);
}

static void delete_while_listing(void) {
    DIR *d = opendir("many");
    outcome("opendir many", d == NULL);
    if (!d)
        return;
    /* remove every third file as it is returned: only entries already seen are removed */
    int seen = 0, removed = 0, twice = 0, failed = 0;
    static unsigned char mark[COUNT];
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != 'f')
            continue;
        int i = atoi(e->d_name + 1);
        if (i < 0 || i >= COUNT)
            continue;
        twice += mark[i];
        mark[i] = 1;
        seen++;
        if (i % 3 == 0) {
            char path[32];
            snprintf(path, sizeof path, "many/%s", e->d_name);
            if (unlink(path) == 0)
                removed++;
            else
                failed++;
        }
    }
    CHECK("no entry returned twice", twice == 0);
    CHECK("every removal of a listed entry worked", failed == 0);
    CHECK("something was listed", seen > 0 && removed > 0);

    rewinddir(d);
    int after = 0;
    while ((e = readdir(d)) != NULL)
        after += e->d_name[0] == 'f';
    CHECK("rewinddir lists exactly the survivors", after == COUNT - removed);
    closedir(d);

    /* the rest of every third file (a runtime may have skipped some above), by name */
    for (int i = 0; i < COUNT; i += 3) {
        char path[32];
        snprintf(path, sizeof path, "many/f%04d", i);
        unlink(path); /* ENOENT for those already gone */
    }
    int n, dots;
    char **names = list("many", &n, &dots);
    printf("after removing every third: %d entries, fnv %08x\n", n, fingerprint(names, n));
    free_names(names, n);
}

static void seek_and_tell(void) {
    DIR *d = opendir("many");
    if (!d)
        return;
    struct dirent *e = readdir(d);
    for (int i = 0; e && i < 10; i++)
        e = readdir(d);
    long pos = telldir(d);
    e = readdir(d);
    char first[64] = "";
    if (e)
        snprintf(first, sizeof first, "%s", e->d_name);
    for (int i = 0; e && i < 20; i++)
        e = readdir(d);
    seekdir(d, pos);
    e = readdir(d);
    CHECK("seekdir returns to the telldir position", e && !strcmp(e->d_name, first));
    closedir(d);
}

static int only_f00(const struct dirent *e) {
    return strncmp(e->d_name, "f00", 3) == 0;
}

static void scan(void) {
    struct dirent **list_;
    int n = scandir("many", &list_, only_f00, alphasort);
    outcome("scandir", n < 0);
    if (n < 0)
        return;
    printf("scandir f00*: %d", n);
    for (int i = 0; i < n; i++) {
        if (i < 3 || i == n - 1)
            printf(" %s", list_[i]->d_name);
        free(list_[i]);
    }
    printf("\n");
    free(list_);
    n = scandir("no-such-dir", &list_, NULL, alphasort);
    outcome("scandir of a missing directory", n < 0);
}

static void kinds(void) {
    TRY("mkdir tree", mkdir("tree", 0755));
    TRY("mkdir tree/a", mkdir("tree/a", 0755));
    TRY("mkdir tree/a/b", mkdir("tree/a/b", 0755));
    int fd = open("tree/file", O_WRONLY | O_CREAT, 0644);
    outcome("create tree/file", fd < 0);
    if (fd >= 0)
        close(fd);
    TRY("symlink tree/link", symlink("file", "tree/link"));
    TRY("symlink tree/dangling", symlink("nowhere", "tree/dangling"));
    DIR *d = opendir("tree");
    outcome("opendir tree", d == NULL);
    if (!d)
        return;
    char lines[8][64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 8) {
        const char *kind = e->d_type == DT_DIR   ? "dir"
                           : e->d_type == DT_REG ? "file"
                           : e->d_type == DT_LNK ? "link"
                                                 : "other";
        snprintf(lines[n++], sizeof lines[0], "%s %s", e->d_name, kind);
    }
    closedir(d);
    qsort(lines, n, sizeof lines[0], (int (*)(const void *, const void *))strcmp);
    for (int i = 0; i < n; i++)
        printf("tree: %s\n", lines[i]);
    int fdd = open("tree/a", O_RDONLY | O_DIRECTORY);
    outcome("open tree/a O_DIRECTORY", fdd < 0);
    if (fdd >= 0) {
        DIR *sub = fdopendir(fdd);
        outcome("fdopendir", sub == NULL);
        int entries = 0;
        while (sub && (e = readdir(sub)) != NULL)
            entries++;
        printf("tree/a entries with dots: %d\n", entries);
        if (sub)
            closedir(sub);
    }
    DIR *bad = opendir("tree/file");
    outcome("opendir on a file", bad == NULL);
    bad = opendir("tree/none");
    outcome("opendir on a missing name", bad == NULL);
    TRY("rmdir tree/a (not empty)", rmdir("tree/a"));
    TRY("rmdir tree/a/b", rmdir("tree/a/b"));
    TRY("rmdir tree/a", rmdir("tree/a"));
}

static void seeded(void) {
    int n, dots;
    char **names = list(".", &n, &dots);
    printf("work dir:");
    for (int i = 0; i < n; i++)
        printf(" %s", names[i]);
    printf(" (%d dot entries)\n", dots);
    free_names(names, n);
    names = list("empty", &n, &dots);
    printf("empty: %d entries, %d dot entries\n", n, dots);
    free_names(names, n);
}

int main(void) {
    if (chdir(WORKDIR) != 0)
        return 2;
    seeded();
    make_many();
    delete_while_listing();
    seek_and_tell();
    scan();
    kinds();
    return finish();
}
