/* Failures through wasi-libc: missing files, wrong modes, directories, bad fds, and escapes.
 *
 * Leaving the preopened directory must fail. wasmtime answers such an attempt with EPERM
 * and wasios with ENOTCAPABLE (RATIONALE.md), so the transcript says "denied" for either
 * and names any other errno; a success is a FAIL.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transcript.h"

static void escape(const char *what, int failed) {
    if (!failed) {
        printf("escape %s: SUCCEEDED\n", what);
        t_failures++;
    } else if (errno == EPERM || errno == ENOTCAPABLE) {
        printf("escape %s: denied\n", what);
    } else {
        printf("escape %s: %s\n", what, errno_name(errno));
    }
}

static void opens(void) {
    errno = 0;
    int fd = open("missing.txt", O_RDONLY);
    outcome("open a missing file", fd < 0);
    fd = open("missing-dir/x", O_WRONLY | O_CREAT, 0644);
    outcome("create in a missing directory", fd < 0);
    fd = open("input.txt", O_WRONLY | O_CREAT | O_EXCL, 0644);
    outcome("O_EXCL on an existing file", fd < 0);
    fd = open("input.txt/x", O_RDONLY);
    outcome("a file used as a directory", fd < 0);
    fd = open("input.txt", O_RDONLY | O_DIRECTORY);
    outcome("O_DIRECTORY on a file", fd < 0);
    fd = open("sub", O_WRONLY);
    outcome("a directory opened for writing", fd < 0);
    fd = open("sub", O_RDWR);
    outcome("a directory opened read-write", fd < 0);
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    fd = open(longname, O_WRONLY | O_CREAT, 0644);
    outcome("a 299-byte name", fd < 0);
    fd = open("", O_RDONLY);
    outcome("an empty path", fd < 0);
    fd = open("/nowhere/at/all", O_RDONLY);
    outcome("an absolute path outside every preopen", fd < 0);
}

static void modes(void) {
    int fd = open("input.txt", O_RDONLY);
    outcome("open input.txt read-only", fd < 0);
    errno = 0;
    ssize_t n = write(fd, "x", 1);
    outcome("write to a read-only fd", n < 0);
    close(fd);
    fd = open("out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    outcome("open out.txt write-only", fd < 0);
    char buf[16];
    errno = 0;
    n = read(fd, buf, sizeof buf);
    outcome("read from a write-only fd", n < 0);
    n = write(fd, "written\n", 8);
    printf("write to the write-only fd: %zd\n", n);
    close(fd);
    fd = open("sub", O_RDONLY | O_DIRECTORY);
    outcome("open sub as a directory", fd < 0);
    errno = 0;
    n = read(fd, buf, sizeof buf);
    outcome("read a directory", n < 0);
    errno = 0;
    n = write(fd, "x", 1);
    outcome("write a directory", n < 0);
    errno = 0;
    off_t off = lseek(fd, 0, SEEK_END);
    printf("lseek on a directory fails: %d\n", off < 0);
    close(fd);
    fd = open("input.txt", O_RDONLY);
    errno = 0;
    off = lseek(fd, -100, SEEK_SET);
    outcome("lseek to a negative offset", off < 0);
    close(fd);
}

static void bad_fds(void) {
    char buf[4];
    struct stat st;
    errno = 0;
    TRY("close(99)", close(99));
    errno = 0;
    outcome("read(99)", read(99, buf, 1) < 0);
    errno = 0;
    outcome("write(99)", write(99, "x", 1) < 0);
    TRY("fstat(-1)", fstat(-1, &st));
    errno = 0;
    outcome("lseek(99)", lseek(99, 0, SEEK_SET) < 0);
    TRY("fsync(99)", fsync(99));
    int fd = open("input.txt", O_RDONLY);
    close(fd);
    errno = 0;
    outcome("read after close", read(fd, buf, 1) < 0);
    TRY("close twice", close(fd));
    errno = 0;
    DIR *d = fdopendir(99);
    outcome("fdopendir(99)", d == NULL);
}

static void escapes(void) {
    struct stat st;
    int fd;
    errno = 0;
    fd = open("../etc/passwd", O_RDONLY);
    escape("open ../etc/passwd", fd < 0);
    fd = open(WORKDIR "/../etc/passwd", O_RDONLY);
    escape("open /work/../etc/passwd", fd < 0);
    fd = open("sub/../../x", O_WRONLY | O_CREAT, 0644);
    escape("create sub/../../x", fd < 0);
    fd = open("..", O_RDONLY | O_DIRECTORY);
    escape("open ..", fd < 0);
    escape("stat ..", stat("..", &st) < 0);
    escape("stat sub/../..", stat("sub/../..", &st) < 0);
    escape("mkdir ../evil", mkdir("../evil", 0755) < 0);
    escape("rename input.txt ../stolen", rename("input.txt", "../stolen") < 0);
    escape("link input.txt ../stolen", link("input.txt", "../stolen") < 0);
    escape("unlink ../anything", unlink("../anything") < 0);
    escape("rmdir ../..", rmdir("../..") < 0);
    escape("symlink at ../made", symlink("x", "../made") < 0);
    escape("opendir ..", opendir("..") == NULL);
    /* symlinks may point anywhere; following one out of the sandbox must fail */
    TRY("symlink up -> ../", symlink("../", "up"));
    /* an absolute target could only ever be followed out: a runtime may refuse it at once */
    errno = 0;
    int r = symlink("/etc", "abs");
    printf("symlink abs -> /etc: %s\n",
           r == 0                                ? "ok"
           : errno == EPERM || errno == ENOTCAPABLE ? "denied"
                                                  : errno_name(errno));
    TRY("symlink deep -> sub/../..", symlink("sub/../..", "deep"));
    fd = open("up/etc/passwd", O_RDONLY);
    escape("open up/etc/passwd", fd < 0);
    fd = open("abs/passwd", O_RDONLY);
    escape("open abs/passwd", fd < 0);
    escape("stat deep", stat("deep", &st) < 0);
    fd = open("up/created", O_WRONLY | O_CREAT, 0644);
    escape("create up/created", fd < 0);
    escape("mkdir deep/evil", mkdir("deep/evil", 0755) < 0);
    TRY("lstat up (the link itself)", lstat("up", &st));
    char target[32];
    ssize_t n = readlink("up", target, sizeof target);
    printf("readlink up (text only): [%.*s]\n", (int)(n < 0 ? 0 : n), target);
    escape("chdir ..", chdir("..") < 0);
    char cwd[64];
    printf("getcwd after chdir ..: %s\n", getcwd(cwd, sizeof cwd) ? cwd : "(null)");
}

int main(void) {
    if (chdir(WORKDIR) != 0)
        return 2;
    opens();
    modes();
    bad_fds();
    escapes();
    return finish();
}
