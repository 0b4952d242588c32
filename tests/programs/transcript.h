/* Helpers shared by the test programs: a transcript on stdout, checks that set the status.
 *
 * Every program prints what it did and what came back, one fact per line, with no times,
 * inode numbers or anything else that differs between two correct runtimes, so that two
 * runs can be compared byte for byte. A failed CHECK (a rule every WASI runtime must keep)
 * prints "FAIL" and makes the exit status 1.
 */
#ifndef WASIOS_TRANSCRIPT_H
#define WASIOS_TRANSCRIPT_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The directory every program works in: the runner preopens its temp dir here. */
#define WORKDIR "/work"

static int t_failures = 0;

static const char *errno_name(int e) {
    switch (e) {
#define N(x) \
    case x:  \
        return #x;
        N(E2BIG) N(EACCES) N(EADDRINUSE) N(EADDRNOTAVAIL) N(EAFNOSUPPORT) N(EAGAIN)
        N(EALREADY) N(EBADF) N(EBADMSG) N(EBUSY) N(ECANCELED) N(ECHILD) N(ECONNABORTED)
        N(ECONNREFUSED) N(ECONNRESET) N(EDEADLK) N(EDESTADDRREQ) N(EDOM) N(EDQUOT)
        N(EEXIST) N(EFAULT) N(EFBIG) N(EHOSTUNREACH) N(EIDRM) N(EILSEQ) N(EINPROGRESS)
        N(EINTR) N(EINVAL) N(EIO) N(EISCONN) N(EISDIR) N(ELOOP) N(EMFILE) N(EMLINK)
        N(EMSGSIZE) N(EMULTIHOP) N(ENAMETOOLONG) N(ENETDOWN) N(ENETRESET) N(ENETUNREACH)
        N(ENFILE) N(ENOBUFS) N(ENODEV) N(ENOENT) N(ENOEXEC) N(ENOLCK) N(ENOLINK) N(ENOMEM)
        N(ENOMSG) N(ENOPROTOOPT) N(ENOSPC) N(ENOSYS) N(ENOTCONN) N(ENOTDIR) N(ENOTEMPTY)
        N(ENOTRECOVERABLE) N(ENOTSOCK) N(ENOTSUP) N(ENOTTY) N(ENXIO) N(EOVERFLOW)
        N(EOWNERDEAD) N(EPERM) N(EPIPE) N(EPROTO) N(EPROTONOSUPPORT) N(EPROTOTYPE)
        N(ERANGE) N(EROFS) N(ESPIPE) N(ESRCH) N(ESTALE) N(ETIMEDOUT) N(ETXTBSY) N(EXDEV)
        N(ENOTCAPABLE)
#undef N
    case 0:
        return "0";
    default:
        return "E?";
    }
}

/* "ok" or "ENOENT (No such file or directory)": the outcome of a call returning -1/NULL. */
static void outcome(const char *what, int failed) {
    if (failed)
        printf("%s: %s (%s)\n", what, errno_name(errno), strerror(errno));
    else
        printf("%s: ok\n", what);
}

/* Print the outcome of ``expr`` (an int call: -1 means failure, errno set). */
#define TRY(what, expr)          \
    do {                         \
        errno = 0;               \
        int t_r_ = (expr);       \
        outcome(what, t_r_ < 0); \
    } while (0)

/* A rule every runtime must keep; prints a line either way. */
#define CHECK(what, cond)                    \
    do {                                     \
        if (cond) {                          \
            printf("check %s: yes\n", what); \
        } else {                             \
            printf("check %s: FAIL\n", what); \
            t_failures++;                    \
        }                                    \
    } while (0)

/* FNV-1a over bytes: a short, stable fingerprint of listings and contents. */
static unsigned fnv(unsigned h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}
#define FNV_START 2166136261u

static int finish(void) {
    printf("failures: %d\n", t_failures);
    fflush(stdout);
    return t_failures ? 1 : 0;
}

#endif
