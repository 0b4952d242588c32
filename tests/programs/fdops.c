/* Descriptor calls through wasi-libc: offsets, append, vectored and positioned I/O, flags,
 * renumbering, sync, allocation, advice, and the entropy and yield calls. */
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <wasi/libc.h>

#include "transcript.h"

static long long file_size(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 ? (long long)st.st_size : -1;
}

static void offsets(void) {
    int fd = open("data.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    outcome("open data.bin", fd < 0);
    printf("write: %zd\n", write(fd, "0123456789", 10));
    printf("lseek cur: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    printf("lseek set 2: %lld\n", (long long)lseek(fd, 2, SEEK_SET));
    char buf[32] = {0};
    printf("read 3: %zd [%.3s]\n", read(fd, buf, 3), buf);
    printf("lseek cur -1: %lld\n", (long long)lseek(fd, -1, SEEK_CUR));
    printf("lseek end -2: %lld\n", (long long)lseek(fd, -2, SEEK_END));
    printf("read to end: %zd\n", read(fd, buf, sizeof buf));
    printf("read at end: %zd\n", read(fd, buf, sizeof buf));
    printf("lseek past end: %lld\n", (long long)lseek(fd, 20, SEEK_SET));
    printf("write past end: %zd\n", write(fd, "X", 1));
    printf("size with a hole: %lld\n", file_size(fd));
    lseek(fd, 10, SEEK_SET);
    ssize_t n = read(fd, buf, sizeof buf);
    int zeros = n == 11;
    for (int i = 0; i < 10 && i < n; i++)
        zeros &= buf[i] == 0;
    CHECK("the hole reads as zeros", zeros && buf[10] == 'X');

    printf("pwrite at 4: %zd\n", pwrite(fd, "ab", 2, 4));
    printf("offset after pwrite: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    memset(buf, 0, sizeof buf);
    printf("pread at 3: %zd [%.4s]\n", pread(fd, buf, 4, 3), buf);
    printf("pread past end: %zd\n", pread(fd, buf, 4, 100));
    errno = 0;
    outcome("pread negative offset", pread(fd, buf, 4, -1) < 0);

    /* a runtime may move fewer bytes than asked (wasmtime serves one iovec per call):
       loop as a careful program must, and print what arrived */
    struct iovec wv[3] = {{"vec", 3}, {"", 0}, {"tored", 5}};
    lseek(fd, 0, SEEK_SET);
    size_t total = 0;
    int calls = 0;
    for (int i = 0; i < 3 && calls < 10; calls++) {
        ssize_t w = writev(fd, wv + i, 3 - i);
        if (w < 0)
            break;
        total += w;
        while (i < 3 && (size_t)w >= wv[i].iov_len)
            w -= wv[i++].iov_len;
        if (i < 3) {
            wv[i].iov_base = (char *)wv[i].iov_base + w;
            wv[i].iov_len -= w;
        }
    }
    printf("writev (looped): %zu bytes\n", total);
    char a[2], b[4], c[40];
    struct iovec rv[3] = {{a, sizeof a}, {b, sizeof b}, {c, sizeof c}};
    lseek(fd, 0, SEEK_SET);
    total = 0;
    for (int i = 0, k = 0; i < 3 && k < 10; k++) {
        ssize_t r = readv(fd, rv + i, 3 - i);
        if (r <= 0)
            break;
        total += r;
        while (i < 3 && (size_t)r >= rv[i].iov_len)
            r -= rv[i++].iov_len;
        if (i < 3) {
            rv[i].iov_base = (char *)rv[i].iov_base + r;
            rv[i].iov_len -= r;
        }
    }
    printf("readv (looped): %zu [%.2s] [%.4s] [%.2s]\n", total, a, b, c);
    close(fd);

    fd = open("input.txt", O_RDONLY);
    errno = 0;
    outcome("lseek on a read-only file", lseek(fd, 3, SEEK_SET) < 0);
    n = read(fd, buf, 4);
    printf("read after lseek: %zd [%.4s]\n", n, buf);
    close(fd);
}

static void append(void) {
    int fd = open("log.txt", O_WRONLY | O_CREAT | O_APPEND, 0644);
    outcome("open log.txt O_APPEND", fd < 0);
    write(fd, "one\n", 4);
    lseek(fd, 0, SEEK_SET);
    write(fd, "two\n", 4);
    printf("size after appends: %lld\n", file_size(fd));
    int fl = fcntl(fd, F_GETFL);
    printf("F_GETFL: append=%d accmode_wronly=%d\n", (fl & O_APPEND) != 0,
           (fl & O_ACCMODE) == O_WRONLY);
    TRY("F_SETFL clear O_APPEND", fcntl(fd, F_SETFL, fl & ~O_APPEND));
    fl = fcntl(fd, F_GETFL);
    printf("F_GETFL after: append=%d\n", (fl & O_APPEND) != 0);
    lseek(fd, 0, SEEK_SET);
    write(fd, "ONE\n", 4);
    TRY("F_SETFL O_NONBLOCK", fcntl(fd, F_SETFL, O_NONBLOCK));
    printf("F_GETFL nonblock=%d\n", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    printf("F_GETFD: %d\n", fcntl(fd, F_GETFD));
    close(fd);
    fd = open("log.txt", O_RDONLY);
    char buf[32];
    ssize_t n = read(fd, buf, sizeof buf);
    printf("log.txt: [%.*s]\n", (int)(n < 0 ? 0 : n), buf);
    close(fd);
    fd = open("log.txt", O_RDWR | O_APPEND);
    memset(buf, 0, sizeof buf);
    n = pread(fd, buf, 3, 4);
    printf("pread on O_APPEND: %zd [%.3s]\n", n, buf);
    close(fd);
}

static void renumber(void) {
    /* wasi-libc has no dup/dup2: fd_renumber is its one way to move a descriptor */
    int a = open("input.txt", O_RDONLY);
    int b = open("log.txt", O_RDONLY);
    TRY("renumber a onto b", __wasilibc_fd_renumber(a, b));
    char buf[6] = {0};
    read(b, buf, 5);
    printf("read through b: [%.5s]\n", buf);
    errno = 0;
    outcome("read through a after renumbering it away", read(a, buf, 1) < 0);
    TRY("renumber a closed fd", __wasilibc_fd_renumber(a, b));
    TRY("renumber onto a closed fd", __wasilibc_fd_renumber(b, 77));
    TRY("renumber onto itself", __wasilibc_fd_renumber(b, b));
    close(b);
}

static void sync_and_space(void) {
    int fd = open("space.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    TRY("fsync", fsync(fd));
    TRY("fdatasync", fdatasync(fd));
    /* fd_allocate is optional (wasmtime answers ENOTSUP): either it works or it says so */
    int r = posix_fallocate(fd, 0, 4096);
    CHECK("posix_fallocate works or is ENOTSUP",
          r == 0 ? file_size(fd) == 4096 : r == ENOTSUP && file_size(fd) == 0);
    r = posix_fadvise(fd, 0, 100, POSIX_FADV_SEQUENTIAL);
    printf("posix_fadvise: %s\n", r ? errno_name(r) : "ok");
    r = posix_fadvise(fd, 0, 100, POSIX_FADV_DONTNEED);
    printf("posix_fadvise dontneed: %s\n", r ? errno_name(r) : "ok");
    close(fd);
    TRY("unlink space.bin", unlink("space.bin")); /* its size depends on fallocate */
    /* POSIX lets a directory be synced; wasmtime answers EBADF: either is accepted */
    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    errno = 0;
    int r2 = fsync(dfd);
    CHECK("fsync of a directory works or is EBADF", r2 == 0 || errno == EBADF);
    close(dfd);
}

static void entropy(void) {
    unsigned char a[64], b[64];
    TRY("getentropy 64", getentropy(a, sizeof a));
    TRY("getentropy 64 again", getentropy(b, sizeof b));
    int zero = 1;
    for (size_t i = 0; i < sizeof a; i++)
        zero &= a[i] == 0;
    CHECK("random bytes are not all zero", !zero);
    CHECK("two draws differ", memcmp(a, b, sizeof a) != 0);
    unsigned char big[300];
    TRY("getentropy 300 (over the limit)", getentropy(big, sizeof big));
    TRY("sched_yield", sched_yield());
}

int main(void) {
    if (chdir(WORKDIR) != 0)
        return 2;
    offsets();
    append();
    renumber();
    sync_and_space();
    entropy();
    return finish();
}
