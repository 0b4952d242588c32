/* File-system calls through wasi-libc: stat family, rename, unlink, rmdir, links, sizes, times. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transcript.h"

static const char *kind(mode_t m) {
    return S_ISREG(m)   ? "file"
           : S_ISDIR(m) ? "dir"
           : S_ISLNK(m) ? "link"
           : S_ISCHR(m) ? "chr"
                        : "other";
}

/* One line: kind, nlink and (for files and links) size, or the errno. */
static void show_stat(const char *what, int r, const struct stat *st) {
    if (r < 0) {
        outcome(what, 1);
        return;
    }
    if (S_ISDIR(st->st_mode))
        printf("%s: %s nlink=%lu\n", what, kind(st->st_mode), (unsigned long)st->st_nlink);
    else
        printf("%s: %s nlink=%lu size=%lld\n", what, kind(st->st_mode),
               (unsigned long)st->st_nlink, (long long)st->st_size);
}

static void do_stat(const char *path) {
    struct stat st;
    char what[80];
    snprintf(what, sizeof what, "stat %s", path);
    int r = stat(path, &st);
    show_stat(what, r, &st);
}

static void do_lstat(const char *path) {
    struct stat st;
    char what[80];
    snprintf(what, sizeof what, "lstat %s", path);
    int r = lstat(path, &st);
    show_stat(what, r, &st);
}

static int write_file(const char *path, const char *data) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, data, strlen(data));
    close(fd);
    return n == (ssize_t)strlen(data) ? 0 : -1;
}

static void cat(const char *path) {
    char buf[128];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        char what[80];
        snprintf(what, sizeof what, "cat %s", path);
        outcome(what, 1);
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    printf("cat %s: [%.*s]\n", path, (int)(n < 0 ? 0 : n), buf);
}

static int size_of(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (int)st.st_size : -1;
}

static int nlink_of(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (int)st.st_nlink : -1;
}

static void stats(void) {
    TRY("write a", write_file("a", "0123456789"));
    do_stat("a");
    do_stat("input.txt");
    do_stat("sub");
    do_stat("empty");
    do_stat(".");
    do_stat("missing");
    do_stat("a/x");
    int fd = open("a", O_RDONLY);
    struct stat st;
    int r = fstat(fd, &st);
    show_stat("fstat a", r, &st);
    struct stat st2;
    stat("a", &st2);
    CHECK("fstat and stat agree on dev/ino", st.st_dev == st2.st_dev && st.st_ino == st2.st_ino);
    close(fd);
    fd = open("sub", O_RDONLY | O_DIRECTORY);
    r = fstat(fd, &st);
    show_stat("fstat sub", r, &st);
    close(fd);
    r = fstatat(AT_FDCWD, "sub/inner.txt", &st, 0);
    show_stat("fstatat sub/inner.txt", r, &st);
}

static void renames(void) {
    TRY("write b", write_file("b", "bee"));
    TRY("rename a over b", rename("a", "b"));
    cat("b");
    do_stat("a");
    CHECK("rename moved the data over the old file", size_of("b") == 10 && size_of("a") < 0);
    TRY("mkdir d1", mkdir("d1", 0755));
    TRY("write d1/f", write_file("d1/f", "in d1"));
    TRY("mkdir d2", mkdir("d2", 0755));
    TRY("rename d1 into d2", rename("d1", "d2/d1"));
    cat("d2/d1/f");
    TRY("rename missing", rename("missing", "x"));
    TRY("rename file over dir", rename("b", "d2"));
    TRY("rename dir over file", rename("d2", "b"));
    TRY("mkdir d3", mkdir("d3", 0755));
    TRY("rename dir over non-empty dir", rename("d3", "d2"));
    TRY("rename dir over empty dir", rename("d3", "empty"));
    do_stat("d3");
    TRY("rename dir into itself", rename("d2", "d2/d1/inside"));
    TRY("rename into a missing dir", rename("b", "nodir/b"));
    TRY("rename onto itself", rename("b", "b"));
    cat("b");
    TRY("rename with trailing slash on a file", rename("b", "c/"));
}

static void removal(void) {
    TRY("write u", write_file("u", "unlink me"));
    TRY("unlink u", unlink("u"));
    TRY("unlink u again", unlink("u"));
    TRY("unlink a dir", unlink("d2"));
    TRY("rmdir non-empty", rmdir("d2"));
    TRY("rmdir a file", rmdir("b"));
    TRY("rmdir missing", rmdir("nothing"));
    TRY("mkdir gone", mkdir("gone", 0755));
    TRY("rmdir gone", rmdir("gone"));
    do_stat("gone");
    TRY("mkdir existing", mkdir("sub", 0755));
    TRY("remove() a file", remove("d2/d1/f"));
    TRY("remove() a dir", remove("d2/d1"));
}

static void links(void) {
    TRY("symlink b -> lnk", symlink("b", "lnk"));
    char buf[64];
    ssize_t n = readlink("lnk", buf, sizeof buf);
    outcome("readlink lnk", n < 0);
    if (n >= 0)
        printf("readlink lnk: [%.*s]\n", (int)n, buf);
    n = readlink("lnk", buf, 1);
    printf("readlink into 1 byte: %zd [%.*s]\n", n, (int)(n < 0 ? 0 : n), buf);
    n = readlink("b", buf, sizeof buf);
    outcome("readlink of a file", n < 0);
    do_stat("lnk");
    do_lstat("lnk");
    struct stat sl, sf;
    CHECK("lstat sees the link, stat its target",
          lstat("lnk", &sl) == 0 && S_ISLNK(sl.st_mode) && stat("lnk", &sf) == 0 &&
              S_ISREG(sf.st_mode));
    TRY("symlink dangling", symlink("nowhere", "dang"));
    do_stat("dang");
    do_lstat("dang");
    TRY("symlink to dir", symlink("sub", "sublink"));
    cat("sublink/inner.txt");
    do_lstat("sublink");
    TRY("symlink existing name", symlink("b", "lnk"));
    int fd = open("lnk", O_RDONLY | O_NOFOLLOW);
    outcome("open symlink O_NOFOLLOW", fd < 0);
    if (fd >= 0)
        close(fd);
    fd = open("lnk", O_RDONLY);
    outcome("open symlink (followed)", fd < 0);
    if (fd >= 0)
        close(fd);
    TRY("symlink loop1", symlink("loop2", "loop1"));
    TRY("symlink loop2", symlink("loop1", "loop2"));
    fd = open("loop1", O_RDONLY);
    outcome("open loop1", fd < 0);
    TRY("unlink the symlink", unlink("dang"));
    do_lstat("dang");

    TRY("link b hard", link("b", "hard"));
    do_stat("b");
    do_stat("hard");
    CHECK("a hard link counts twice", nlink_of("b") == 2 && nlink_of("hard") == 2);
    TRY("write through hard", write_file("hard", "via hard link"));
    cat("b");
    TRY("link existing name", link("b", "hard"));
    TRY("link a dir", link("sub", "sub2"));
    TRY("link missing", link("missing", "m2"));
    TRY("unlink hard", unlink("hard"));
    do_stat("b");
    CHECK("unlinking one name leaves the other", nlink_of("b") == 1 && size_of("b") == 13);
}

static void sizes(void) {
    TRY("write t", write_file("t", "abcdefghij"));
    TRY("truncate t 3", truncate("t", 3));
    do_stat("t");
    CHECK("truncate shrank the file", size_of("t") == 3);
    cat("t");
    int fd = open("t", O_RDWR);
    TRY("ftruncate t 100", ftruncate(fd, 100));
    struct stat st;
    fstat(fd, &st);
    printf("size after ftruncate: %lld\n", (long long)st.st_size);
    char buf[128];
    ssize_t n = pread(fd, buf, sizeof buf, 0);
    int zeros = 1;
    for (ssize_t i = 3; i < n; i++)
        zeros &= buf[i] == 0;
    printf("pread: %zd bytes, [%.3s], rest zero=%d\n", n, buf, zeros);
    CHECK("ftruncate grew the file with zeros", n == 100 && zeros && !memcmp(buf, "abc", 3));
    TRY("ftruncate negative", ftruncate(fd, -1));
    close(fd);
    TRY("truncate missing", truncate("missing", 0));
    TRY("truncate a dir", truncate("sub", 0));
    fd = open("t", O_RDONLY);
    TRY("ftruncate read-only fd", ftruncate(fd, 0));
    close(fd);
}

static void accesses(void) {
    TRY("access b F_OK", access("b", F_OK));
    TRY("access b R_OK", access("b", R_OK));
    TRY("access b W_OK", access("b", W_OK));
    TRY("access b R_OK|W_OK", access("b", R_OK | W_OK));
    TRY("access sub X_OK", access("sub", X_OK));
    TRY("access missing", access("missing", F_OK));
    TRY("access bad mode", access("b", 0x100));
}

static void times(void) {
    struct stat before, after;
    stat("b", &before);
    struct timespec ts[2] = {{1000000000, 123456789}, {1100000000, 987654321}};
    TRY("utimensat fixed", utimensat(AT_FDCWD, "b", ts, 0));
    stat("b", &after);
    printf("atime set exactly: %d\n",
           after.st_atim.tv_sec == 1000000000 && after.st_atim.tv_nsec == 123456789);
    printf("mtime set exactly: %d\n",
           after.st_mtim.tv_sec == 1100000000 && after.st_mtim.tv_nsec == 987654321);
    struct timespec only_m[2] = {{0, UTIME_OMIT}, {1200000000, 0}};
    TRY("utimensat omit atime", utimensat(AT_FDCWD, "b", only_m, 0));
    stat("b", &after);
    printf("atime kept: %d, mtime changed: %d\n", after.st_atim.tv_sec == 1000000000,
           after.st_mtim.tv_sec == 1200000000);
    struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    int fd = open("b", O_RDONLY);
    TRY("futimens now", futimens(fd, now));
    fstat(fd, &after);
    printf("mtime moved to now: %d\n", after.st_mtim.tv_sec > 1600000000);
    close(fd);
    struct timespec lts[2] = {{1000000000, 0}, {1000000000, 0}};
    TRY("utimensat nofollow on a link", utimensat(AT_FDCWD, "lnk", lts, AT_SYMLINK_NOFOLLOW));
    struct stat target;
    stat("b", &target);
    printf("target untouched: %d\n", target.st_mtim.tv_sec != 1000000000);
    TRY("utimensat missing", utimensat(AT_FDCWD, "missing", ts, 0));
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    TRY("utimensat bad nsec", utimensat(AT_FDCWD, "b", bad, 0));
}

static void real(void) {
    char buf[PATH_MAX];
    char *r = realpath("sub/../sublink/inner.txt", buf);
    outcome("realpath", r == NULL);
    if (r)
        printf("realpath: %s\n", r);
    r = realpath("missing", buf);
    outcome("realpath missing", r == NULL);
    char cwd[PATH_MAX];
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : "(null)");
    TRY("chdir sub", chdir("sub"));
    cat("inner.txt");
    cat("../b");
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : "(null)");
    TRY("chdir back", chdir(".."));
    TRY("chdir to a file", chdir("b"));
}

int main(void) {
    if (chdir(WORKDIR) != 0)
        return 2;
    stats();
    renames();
    removal();
    links();
    sizes();
    accesses();
    times();
    real();
    return finish();
}
