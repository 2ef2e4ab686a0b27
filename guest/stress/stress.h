/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stress.h - helpers shared by the BPF_MAP_FREEZE stress tests,
 * freeze_fuzz.c, freeze_teardown.c and freeze_sockmap.c: the raw bpf() syscall and errno
 * helpers, the xorshift64* PRNG, a capped report printer that threads share
 * under one print lock, a clock and a sleep, and one-command wrappers of
 * BPF_MAP_CREATE, map element updates/lookups/deletes, BPF_MAP_FREEZE and
 * BPF_OBJ_PIN/GET, and a per-test watchdog.
 *
 * Each program includes it once, after defining _GNU_SOURCE (for
 * strerrorname_np()); everything here is static, a copy per program.
 */
#ifndef __FREEZE_STRESS_H
#define __FREEZE_STRESS_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>

#include "kselftest.h"

#ifndef ENOTSUPP
#define ENOTSUPP	524	/* kernel-internal, include/linux/errno.h */
#endif

/* ---------------------------------------------------------- bpf(), errno */

static inline long sys_bpf(int cmd, const void *attr, unsigned int size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

/* 0 for a successful call, else its errno */
static inline int bpf_err(long ret)
{
	return ret < 0 ? errno : 0;
}

/* "0", "EPERM", ..., "ENOTSUPP"; "?" for what has no name */
static inline const char *ename(int e)
{
	const char *n = e > 0 ? strerrorname_np(e) : NULL;

	if (e == 0)
		return "0";
	if (e == ENOTSUPP)
		return "ENOTSUPP";
	return n ? n : "?";
}

/* ----------------------------------------------------------------- PRNG */

struct rng {
	uint64_t s;
};

/* xorshift64*: 64 bits, the high half the better one */
static inline uint64_t rnd(struct rng *r)
{
	uint64_t x = r->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* uniform in [0, n), from the high 32 bits */
static inline uint32_t rnd_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rnd(r) >> 32) * (uint64_t)n) >> 32);
}

/* any seed, 0 too (the state must not be 0); a few rounds mix small ones */
static inline void rng_seed(struct rng *r, uint64_t seed)
{
	r->s = seed ? seed : 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < 4; i++)
		rnd(r);
}

/* ------------------------------------------------------- time, reports */

static inline double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static inline void pause_us(long us)
{
	struct timespec ts = { 0, us * 1000 };

	nanosleep(&ts, NULL);
}

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Counts a report in *count; prints the first max ones as prefix and the
 * message, one at a time under print_lock (the threads' lines stay whole).
 */
static inline __printf(4, 0) void vreport(atomic_uint *count, unsigned int max,
					  const char *prefix, const char *fmt,
					  va_list ap)
{
	if (atomic_fetch_add(count, 1) >= max)
		return;
	pthread_mutex_lock(&print_lock);
	fputs(prefix, stdout);
	vprintf(fmt, ap);
	pthread_mutex_unlock(&print_lock);
}

/* ---------------------------------------------------------- bpf commands */

/* key 4 bytes, value 8; btf_fd < 0: no BTF. An fd, or -1 and errno. */
static inline int map_create_btf(__u32 type, __u32 max, __u32 flags,
				 int btf_fd, __u32 key_tid, __u32 val_tid)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = max;
	a.map_flags = flags;
	if (btf_fd >= 0) {
		a.btf_fd = btf_fd;
		a.btf_key_type_id = key_tid;
		a.btf_value_type_id = val_tid;
	}
	return sys_bpf(BPF_MAP_CREATE, &a, sizeof(a));
}

static inline int map_create(__u32 type, __u32 max, __u32 flags)
{
	return map_create_btf(type, max, flags, -1, 0, 0);
}

/* the element commands below return 0 or an errno */

static inline int map_update(int fd, __u32 key, __u64 val)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = (__u64)(uintptr_t)&key;
	a.value = (__u64)(uintptr_t)&val;
	a.flags = BPF_ANY;
	return bpf_err(sys_bpf(BPF_MAP_UPDATE_ELEM, &a, sizeof(a)));
}

static inline int map_lookup(int fd, __u32 key, __u64 *val)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = (__u64)(uintptr_t)&key;
	a.value = (__u64)(uintptr_t)val;
	return bpf_err(sys_bpf(BPF_MAP_LOOKUP_ELEM, &a, sizeof(a)));
}

static inline int map_delete(int fd, __u32 key)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = (__u64)(uintptr_t)&key;
	return bpf_err(sys_bpf(BPF_MAP_DELETE_ELEM, &a, sizeof(a)));
}

static inline int map_lookup_and_delete(int fd, __u32 key)
{
	union bpf_attr a;
	__u64 val;

	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = (__u64)(uintptr_t)&key;
	a.value = (__u64)(uintptr_t)&val;
	return bpf_err(sys_bpf(BPF_MAP_LOOKUP_AND_DELETE_ELEM, &a, sizeof(a)));
}

static inline int map_freeze(int fd)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	return bpf_err(sys_bpf(BPF_MAP_FREEZE, &a, sizeof(a)));
}

/* 0 or an errno */
static inline int obj_pin(int fd, const char *path)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.bpf_fd = fd;
	a.pathname = (__u64)(uintptr_t)path;
	return bpf_err(sys_bpf(BPF_OBJ_PIN, &a, sizeof(a)));
}

/* an fd, or -errno */
static inline int obj_get(const char *path, __u32 flags)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.pathname = (__u64)(uintptr_t)path;
	a.file_flags = flags;
	fd = sys_bpf(BPF_OBJ_GET, &a, sizeof(a));
	return fd < 0 ? -errno : fd;
}

/* -------------------------------------------------------------- watchdog */

/*
 * watchdog_arm(NR, NAME, SECONDS): if the test is still running SECONDS
 * later, print "not ok NR NAME" and exit 1, so that a hang fails the test
 * instead of stalling the guest; a process in watchdog()->child is killed
 * first. alarm(0) disarms it. The state lives in a function so that
 * programs that do not use it get no unused static variable.
 *
 * STRESS_WATCHDOG_SCALE=N (1 to 20) multiplies SECONDS: the guest sets it
 * from freeze.slow=N on the kernel command line, which make check-debug
 * passes because its KASAN and lock-debugging kernel runs every test several
 * times slower. A hang is still caught, later. Any other value of it exits
 * at once with a message.
 */
struct watchdog {
	char msg[200];
	size_t len;
	volatile pid_t child;
};

static inline struct watchdog *watchdog(void)
{
	static struct watchdog w;

	return &w;
}

static inline void watchdog_fire(int sig)
{
	struct watchdog *w = watchdog();
	ssize_t ret;

	(void)sig;
	if (w->child > 0)
		kill(w->child, SIGKILL);
	ret = write(STDOUT_FILENO, w->msg, w->len);
	(void)ret;
	_exit(1);
}

static inline void watchdog_arm(unsigned int nr, const char *name,
				unsigned int seconds)
{
	const char *scale = getenv("STRESS_WATCHDOG_SCALE");
	struct watchdog *w = watchdog();

	if (scale) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(scale, &end, 10);
		if (errno || end == scale || *end || v < 1 || v > 20) {
			printf("# bad STRESS_WATCHDOG_SCALE '%s' (1 to 20)\n"
			       "not ok %u %s\n", scale, nr, name);
			exit(1);
		}
		seconds *= v;
	}

	w->len = snprintf(w->msg, sizeof(w->msg),
			  "# watchdog: %s still running after %u s\n"
			  "not ok %u %s\n", name, seconds, nr, name);
	fflush(stdout);
	signal(SIGALRM, watchdog_fire);
	alarm(seconds);
}

#endif /* __FREEZE_STRESS_H */
