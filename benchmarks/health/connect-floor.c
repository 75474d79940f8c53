/*
 * connect-floor: what a TCP connect check costs the prober when the prober does nothing else. The floor under
 * lbd's checktype=connect (lb-health's ConnectLoop), measured the same way as HealthCheckCost:
 * 10,000 checks per second against 100 listeners on 127.0.0.1, each check a non-blocking connect, completion
 * through epoll, then close with SO_LINGER 0 (a reset, no TIME_WAIT) — what ConnectLoop does, in plain C.
 * The listeners live in a child process (accept + close), whose CPU is not counted.
 *
 * With --http, the floor under checktype=negotiate service=http (lb-health's HttpProbe): after the connect, the
 * prober writes the request HttpProbe writes, reads the answer until its Content-Length is complete (or EOF), and
 * closes with SO_LINGER 0. The child answers as HealthCheckCost's acceptor does ("HTTP/1.0 200 OK", a 2-byte
 * body, then close) once the request's blank line has arrived. Everything is non-blocking on one epoll set.
 *
 *   gcc -O2 -o /tmp/connect-floor benchmarks/health/connect-floor.c
 *   /tmp/connect-floor [checks_per_second=10000] [seconds=15] [first_port=41000] [--http]
 *   /tmp/connect-floor --serve first_port [--http]    (only the 100 listeners, until killed: the same servers for
 *                                                    HealthCheckCost --external-servers, so both probers face one)
 *
 * Prints the prober's user and system CPU per check and as a share of one core.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PORTS 100
#define MAX_FD 65536

static const char REQUEST[] = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: lbd-health\r\n"
                              "Connection: close\r\n\r\n";
static const char ANSWER[] = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";

/* Per socket of the prober in --http mode: bytes of the answer read so far (the answer is matched whole). */
static short got[MAX_FD];

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static double cpu_us(const struct timeval *t) { return t->tv_sec * 1e6 + t->tv_usec; }

/* The child's half of an HTTP check: read until the request's blank line, answer, close. */
static void answer(int ep, int c) {
    char buf[512];
    ssize_t n = read(c, buf, sizeof buf);
    if (n > 0 && !memmem(buf, n, "\r\n\r\n", 4)) {
        return; /* the rest of the request is still coming (never here: it is one small write) */
    }
    if (n > 0) {
        (void)!write(c, ANSWER, sizeof ANSWER - 1);
    } else if (n < 0 && errno == EAGAIN) {
        return;
    }
    epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL);
    close(c);
}

static void serve(int first_port, int http) {
    int ep = epoll_create1(0);
    for (int i = 0; i < PORTS; i++) {
        int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        int one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(first_port + i),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 4096)) {
            perror("connect-floor: listener");
            _exit(1);
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (1ULL << 32) | (unsigned)s};
        epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    }
    struct epoll_event evs[64];
    for (;;) {
        int n = epoll_wait(ep, evs, 64, -1);
        for (int i = 0; i < n; i++) {
            int fd = (int)(evs[i].data.u64 & 0xffffffff);
            if (!(evs[i].data.u64 >> 32)) {
                answer(ep, fd);
                continue;
            }
            int c;
            while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                if (http) {
                    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (unsigned)c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
                } else {
                    close(c);
                }
            }
        }
    }
}

/* --http: the socket is connected (EPOLLOUT) or has answer bytes (EPOLLIN). Returns 1 when the check is over. */
static int http_step(int ep, int s, unsigned events, int *err) {
    if (events & EPOLLOUT) {
        socklen_t len = sizeof *err;
        getsockopt(s, SOL_SOCKET, SO_ERROR, err, &len);
        if (*err) {
            return 1;
        }
        if (write(s, REQUEST, sizeof REQUEST - 1) != (ssize_t)(sizeof REQUEST - 1)) {
            *err = errno ? errno : EIO;
            return 1;
        }
        got[s] = 0;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.fd = s};
        epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev);
        return 0;
    }
    char buf[4096];
    ssize_t n = read(s, buf, sizeof buf);
    if (n < 0 && errno == EAGAIN) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.fd = s};
        epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev);
        return 0;
    }
    if (n <= 0) {
        *err = n < 0 ? errno : (got[s] == sizeof ANSWER - 1 ? 0 : ECONNRESET);
        return 1;
    }
    got[s] += n;
    if (got[s] >= (short)(sizeof ANSWER - 1)) { /* Content-Length satisfied: done, as HttpProbe stops there */
        *err = 0;
        return 1;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.fd = s};
    epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "--serve") == 0) { /* the listeners alone, for another prober to check */
        serve(atoi(argv[2]), argc > 3 && strcmp(argv[3], "--http") == 0);
        return 0;
    }
    int rate = argc > 1 ? atoi(argv[1]) : 10000;
    int seconds = argc > 2 ? atoi(argv[2]) : 15;
    int first_port = argc > 3 ? atoi(argv[3]) : 41000;
    int http = argc > 4 && strcmp(argv[4], "--http") == 0;
    pid_t child = fork();
    if (child == 0) {
        serve(first_port, http);
    }
    usleep(300000);
    int ep = epoll_create1(0);
    struct epoll_event evs[256];
    struct linger reset = {1, 0};
    long long gap = 1000000000LL / rate, start = now_ns(), next = start, end = start + seconds * 1000000000LL;
    long done = 0, failed = 0, in_flight = 0, issued = 0;
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    while (now_ns() < end || in_flight > 0) {
        long long t = now_ns();
        while (next <= t && t < end) { /* issue every check that is due */
            int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            setsockopt(s, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
            struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(first_port + issued % PORTS),
                                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
            issued++;
            next += gap;
            if (s < 0) { /* out of descriptors: the checks in flight pile up on a machine that is too busy */
                if (failed == 0) perror("connect-floor: socket");
                failed++;
                continue;
            }
            if (s >= MAX_FD) {
                fprintf(stderr, "connect-floor: descriptor %d over %d\n", s, MAX_FD);
                return 2;
            }
            int rc = connect(s, (struct sockaddr *)&a, sizeof a);
            if (rc == 0 && !http) {
                close(s);
                done++;
                continue;
            }
            if (rc != 0 && errno != EINPROGRESS) {
                if (failed == 0) perror("connect-floor: connect");
                close(s);
                failed++;
                continue;
            }
            struct epoll_event ev = {.events = EPOLLOUT | EPOLLONESHOT, .data.fd = s};
            epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
            in_flight++;
        }
        long long wait_ns = next - now_ns();
        /* millisecond sleeps: due checks go out in batches of rate/1000, as a timer wheel's ticks would */
        int n = epoll_wait(ep, evs, 256, wait_ns > 0 ? (int)((wait_ns + 999999) / 1000000) : 0);
        for (int i = 0; i < n; i++) {
            int s = evs[i].data.fd, err = 0;
            if (http) {
                if (!http_step(ep, s, evs[i].events, &err)) {
                    continue;
                }
            } else {
                socklen_t len = sizeof err;
                getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
            }
            close(s); /* also leaves the epoll set */
            in_flight--;
            if (err && failed == 0) fprintf(stderr, "connect-floor: %s: %s\n", http ? "http" : "connect", strerror(err));
            if (err) failed++; else done++;
        }
    }
    getrusage(RUSAGE_SELF, &after);
    double wall_us = (now_ns() - start) / 1e3;
    double user = cpu_us(&after.ru_utime) - cpu_us(&before.ru_utime);
    double sys = cpu_us(&after.ru_stime) - cpu_us(&before.ru_stime);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    printf("%s checks=%ld failed=%ld (%.0f/s) prober CPU %.1f%% of one core: user %.2f us/check, kernel %.2f us/check\n",
           http ? "http" : "connect", done, failed, done / (wall_us / 1e6), 100.0 * (user + sys) / wall_us, user / (done + failed),
           sys / (done + failed));
    return failed > 0;
}
