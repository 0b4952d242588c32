/* Clocks, sleeping and poll through wasi-libc: only relations are printed, never times. */
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "transcript.h"

static int64_t ns(clockid_t id) {
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void clocks(void) {
    int64_t m1 = ns(CLOCK_MONOTONIC);
    int64_t r1 = ns(CLOCK_REALTIME);
    int64_t prev = m1;
    int backwards = 0;
    for (int i = 0; i < 200; i++) {
        int64_t m = ns(CLOCK_MONOTONIC);
        backwards += m < prev;
        prev = m;
    }
    CHECK("monotonic clock readable", m1 >= 0);
    CHECK("monotonic never goes back (200 reads)", backwards == 0);
    CHECK("realtime after 2020", r1 > (int64_t)1577836800 * 1000000000);
    struct timespec res;
    int r = clock_getres(CLOCK_MONOTONIC, &res);
    outcome("clock_getres monotonic", r < 0);
    CHECK("monotonic resolution in (0, 1 ms]",
          r == 0 && res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000);
    r = clock_getres(CLOCK_REALTIME, &res);
    outcome("clock_getres realtime", r < 0);
    CHECK("realtime resolution in (0, 1 s]",
          r == 0 && (res.tv_sec == 1 ? res.tv_nsec == 0 : res.tv_sec == 0 && res.tv_nsec > 0));
    time_t t = time(NULL);
    int64_t r2 = ns(CLOCK_REALTIME);
    CHECK("time() agrees with CLOCK_REALTIME", t >= r1 / 1000000000 && t <= r2 / 1000000000);
}

static void sleeping(void) {
    struct timespec req = {0, 1000000}, rem = {0, 0};
    int64_t t0 = ns(CLOCK_MONOTONIC);
    TRY("nanosleep 1 ms", nanosleep(&req, &rem));
    int64_t t1 = ns(CLOCK_MONOTONIC);
    CHECK("slept at least 1 ms", t1 - t0 >= 1000000);
    struct timespec bad = {0, 1000000000};
    TRY("nanosleep with tv_nsec = 1e9", nanosleep(&bad, NULL));
    struct timespec zero = {0, 0};
    TRY("nanosleep 0", nanosleep(&zero, NULL));
    t0 = ns(CLOCK_MONOTONIC);
    TRY("usleep 2000", usleep(2000));
    t1 = ns(CLOCK_MONOTONIC);
    CHECK("usleep slept at least 2 ms", t1 - t0 >= 2000000);
    struct timespec abs_ts;
    clock_gettime(CLOCK_MONOTONIC, &abs_ts);
    abs_ts.tv_nsec += 1000000;
    if (abs_ts.tv_nsec >= 1000000000) {
        abs_ts.tv_sec++;
        abs_ts.tv_nsec -= 1000000000;
    }
    int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs_ts, NULL);
    printf("clock_nanosleep absolute: %s\n", r == 0 ? "ok" : errno_name(r));
    CHECK("woke at or after the deadline",
          ns(CLOCK_MONOTONIC) >= (int64_t)abs_ts.tv_sec * 1000000000 + abs_ts.tv_nsec);
}

static const char *events(short ev) {
    static char buf[64];
    buf[0] = 0;
    if (ev & POLLIN)
        strcat(buf, "IN ");
    if (ev & POLLOUT)
        strcat(buf, "OUT ");
    if (ev & POLLERR)
        strcat(buf, "ERR ");
    if (ev & POLLHUP)
        strcat(buf, "HUP ");
    if (ev & POLLNVAL)
        strcat(buf, "NVAL ");
    if (!buf[0])
        strcpy(buf, "none ");
    buf[strlen(buf) - 1] = 0;
    return buf;
}

static void polling(void) {
    int fd = open("input.txt", O_RDWR);
    outcome("open input.txt", fd < 0);
    /* a file is always ready, but a runtime may check that in the background: wait up to
       a second (a ready file answers at once) rather than ask for an instant answer */
    struct pollfd pin = {fd, POLLIN, 0};
    int n = poll(&pin, 1, 1000);
    printf("poll file IN: %d [%s]\n", n, events(pin.revents));
    struct pollfd pout = {fd, POLLOUT, 0};
    n = poll(&pout, 1, 1000);
    printf("poll file OUT: %d [%s]\n", n, events(pout.revents));
    /* with both asked for, a runtime may report either or both: only "ready" is sure */
    struct pollfd both = {fd, POLLIN | POLLOUT, 0};
    n = poll(&both, 1, 1000);
    CHECK("poll file IN|OUT is ready", n == 1 && (both.revents & (POLLIN | POLLOUT)));
    close(fd);

    int64_t t0 = ns(CLOCK_MONOTONIC);
    n = poll(NULL, 0, 10);
    int64_t t1 = ns(CLOCK_MONOTONIC);
    printf("poll nothing for 10 ms: %d\n", n);
    CHECK("poll waited at least 10 ms", t1 - t0 >= 10000000);

    /* stdin is a file under one runner and a pipe at EOF under another: POLLHUP is right
       for the pipe only, so it is left out */
    struct pollfd in = {0, POLLIN, 0};
    n = poll(&in, 1, 1000);
    printf("poll stdin (data then EOF): %d [%s]\n", n, events(in.revents & ~POLLHUP));
    struct pollfd out = {1, POLLOUT, 0};
    n = poll(&out, 1, 1000);
    printf("poll stdout: %d [%s]\n", n, events(out.revents));
    struct pollfd bad = {42, POLLIN, 0};
    errno = 0;
    n = poll(&bad, 1, 0);
    printf("poll bad fd: %d %s\n", n, n < 0 ? errno_name(errno) : events(bad.revents));
    struct pollfd neg = {-1, POLLIN, 0};
    errno = 0;
    n = poll(&neg, 1, 0);
    printf("poll fd -1: %d [%s]\n", n, events(neg.revents));
}

int main(void) {
    if (chdir(WORKDIR) != 0)
        return 2;
    clocks();
    sleeping();
    polling();
    return finish();
}
