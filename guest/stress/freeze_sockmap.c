// SPDX-License-Identifier: GPL-2.0
/*
 * freeze_sockmap - BPF_MAP_FREEZE against a sockmap writer that blocks in
 * lock_sock() while it is counted as a writer in flight.
 *
 * A syscall update of a BPF_MAP_TYPE_SOCKMAP (sock_map_update_elem_sys())
 * takes lock_sock() of the socket it inserts, inside the section in which
 * the series counts it as a writer. A recv() on a TCP socket copies to user
 * memory under lock_sock() (tcp_recvmsg()), so it may fault there, and a
 * fault takes mmap_lock. An earlier version of the series made the writers
 * hold a per-map rw_semaphore (freeze_lock), which bpf_map_mmap() also took
 * under mmap_lock: map lock -> sk_lock (sockmap update), sk_lock ->
 * mmap_lock (recv into user memory), mmap_lock -> map lock (writable mmap of
 * the map) is a cycle. The series now counts the writers and lets
 * BPF_MAP_FREEZE mark the map freezing, then wait (killable) for the
 * writers in flight, then mark it frozen. If a fatal signal ends that wait,
 * the freeze still completes: the last writer in flight marks the map
 * frozen before its own syscall returns.
 *
 * 1. lockdep_mmap_recv_sockmap: the three lock orders in one process: a
 *    writable mmap of a BPF_F_MMAPABLE array; a TCP recv() over loopback
 *    into a fresh writable mapping of that array; a sockmap update with the
 *    connected socket. Every return value and the bytes received are
 *    checked; the cycle itself would be reported by lockdep (PROVE_LOCKING)
 *    in the console, which fails the run. (remap_vmalloc_range() fills the
 *    array's mapping at mmap() time, so the recv() does not really fault;
 *    lockdep learns sk_lock -> mmap_lock from might_fault() in the copy.)
 * 2. freeze_waits_for_sockmap_writer: thread R holds lock_sock() of socket A
 *    while parked in a userfaultfd fault inside recv(); thread W updates the
 *    sockmap with A and blocks in lock_sock() (state D), counted as a writer;
 *    BPF_MAP_FREEZE (thread F) must wait for W: still not returned after
 *    300 ms (upstream returns EBUSY at once: a failure here), the map not
 *    yet frozen in fdinfo, while an update with another socket and a delete
 *    fail with EPERM at once. Once the fault is resolved: R receives the
 *    data, W returns 0, F returns 0, after the fault was resolved and with
 *    W's write already in the map (F looks key 0 up right after its freeze
 *    returns: the order W then F, seen by the kernel, not by timestamps of
 *    two threads); fdinfo says frozen, later writes EPERM. The wait is
 *    bounded by the writers already in flight: the new ones are refused
 *    while freezing, so they cannot hold freeze off.
 * 3. killed_freezer_completes_freeze: the same, but the freezer is a
 *    child process. While it waits (state D, in bpf(BPF_MAP_FREEZE) by
 *    /proc/<pid>/syscall), an update and a delete fail with EPERM at once
 *    while fdinfo still says "frozen:\t0": the freeze was announced. Then
 *    it is killed with SIGKILL: it must die of SIGKILL while W is still
 *    blocked; the freeze goes on without it: fdinfo "frozen:\t0", update
 *    and delete still EPERM at once. After the fault is resolved W returns
 *    0 and the map is frozen, with no further BPF_MAP_FREEZE, by the time
 *    W's thread read fdinfo after its update returned (it says 1), and so
 *    does the parent's; W's element is in the map; update and delete EPERM,
 *    and a freeze from the parent EPERM, as for a map frozen. A killed
 *    freeze never leaves the map refusing writes while it stays unfrozen.
 *    (Upstream's freeze returns EBUSY at once in the child: a failure
 *    here.)
 * 4. other_map_types_update_then_freeze: in the same boot, syscall updates
 *    that take other locks or sleep while counted (sockhash: lock_sock();
 *    prog_array: poke_mutex; cpumap: kthread creation; a queue push), each
 *    map then frozen, and later writes EPERM.
 *
 * Needs CONFIG_INET (TCP, and BPF_MAP_TYPE_SOCKMAP is only registered with
 * it, include/linux/bpf_types.h), CONFIG_BPF_SYSCALL (net/core/sock_map.o)
 * and CONFIG_USERFAULTFD; a missing one fails the subtests that need it,
 * with the errno. The guest's loopback is down at boot: the test brings lo
 * up itself. Each subtest runs under a watchdog (alarm()): a hang prints
 * "not ok" and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/bpf.h>
#include <linux/userfaultfd.h>

#include "kselftest.h"
#include "stress.h"

#ifndef SO_COOKIE
#define SO_COOKIE	57
#endif

#define WATCHDOG_S	60
#define WAIT_MS		5000.0	/* for what must happen: a fault, a return */
#define W_BLOCKED_MS	200.0	/* W stays in lock_sock() at least this long */
#define F_WAITS_MS	300.0	/* freeze must not return within this */
#define NBYTES		64	/* sent over the TCP connection */
#define SRC_FILL	0xa5	/* what UFFDIO_COPY puts in the faulting page */

static long page;

/* ------------------------------------------------------------- failures */

static const char *cur_test = "main";
static bool failed;

static __printf(2, 3) void fail_at(int line, const char *fmt, ...)
{
	va_list ap;

	failed = true;
	printf("# %s: line %d: ", cur_test, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

#define FAIL(...)	fail_at(__LINE__, __VA_ARGS__)

#define CHECK(cond, ...) ({						\
	bool ___ok = !!(cond);						\
	if (!___ok)							\
		FAIL(__VA_ARGS__);					\
	___ok;								\
})

/* @got: 0 or an errno, from a call described by @what */
#define CHECK_ERR(got, want, what) ({					\
	int ___g = (got), ___w = (want);				\
	bool ___ok = ___g == ___w;					\
	if (!___ok)							\
		FAIL("%s: expected %s, got %s", (what), ename(___w),	\
		     ename(___g));					\
	___ok;								\
})

/* a libc call returning -1 and errno on failure */
#define CHECK_SYS(ret, what) ({						\
	bool ___ok = (ret) != -1;					\
	if (!___ok)							\
		FAIL("%s: %s", (what), ename(errno));			\
	___ok;								\
})

/* ------------------------------------------------------------- bpf, proc */

/* raw element commands on any key and value: 0 or an errno */
static int elem_cmd(int cmd, int fd, const void *key, const void *val)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = (__u64)(uintptr_t)key;
	a.value = (__u64)(uintptr_t)val;
	a.flags = cmd == BPF_MAP_UPDATE_ELEM ? BPF_ANY : 0;
	return bpf_err(sys_bpf(cmd, &a, sizeof(a)));
}

static int map_create_kv(__u32 type, __u32 key_size, __u32 value_size,
			 __u32 max)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = key_size;
	a.value_size = value_size;
	a.max_entries = max;
	return sys_bpf(BPF_MAP_CREATE, &a, sizeof(a));
}

/* key 4 bytes, value 4 (a u32 fd) or 8 (a u64 fd); an fd or -1 and errno */
static int sockmap_create(__u32 value_size, __u32 max_entries)
{
	return map_create_kv(BPF_MAP_TYPE_SOCKMAP, 4, value_size, max_entries);
}

/* 0 or an errno */
static int sockmap_update(int map, __u32 value_size, __u32 key, int sock)
{
	__u32 v32 = sock;

	if (value_size == 8)
		return map_update(map, key, (__u64)sock);
	return elem_cmd(BPF_MAP_UPDATE_ELEM, map, &key, &v32);
}

/* the "frozen:" line of the map's fdinfo: 0, 1, or -1 if unreadable */
static int fdinfo_frozen(int fd)
{
	char path[64], buf[4096], *p;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nfrozen:\t");
	if (!p)
		return -1;
	p += strlen("\nfrozen:\t");
	if ((p[0] != '0' && p[0] != '1') || p[1] != '\n')
		return -1;
	return p[0] - '0';
}

#define CHECK_FROZEN(fd, want, when) ({					\
	int ___f = fdinfo_frozen(fd);					\
	CHECK(___f == (want), "%s: fdinfo frozen: %d, expected %d%s",	\
	      (when), ___f, (want),					\
	      ___f < 0 ? " (no \"frozen:\\t\" line)" : "");		\
})

/* the state letter of /proc/.../stat ('R', 'S', 'D', 'Z'...), 0 if none */
static char stat_state(const char *path)
{
	char buf[512], *p;
	ssize_t n;
	int f;

	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return 0;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* after "pid (comm" */
	return p && p[1] == ' ' ? p[2] : 0;
}

static char thread_state(int tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	return stat_state(path);
}

static char proc_state(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	return stat_state(path);
}

/*
 * whether process @pid sleeps in BPF_MAP_FREEZE: /proc/<pid>/syscall
 * starts with the number of bpf() and its first argument, the command
 */
static bool in_freeze_syscall(pid_t pid)
{
	unsigned long long cmd = 0;
	char path[64], buf[512];
	long nr = -1;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0) {
		FAIL("open %s: %s: cannot check that the child is in bpf(BPF_MAP_FREEZE)",
		     path, ename(errno));
		return false;
	}
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0) {
		FAIL("read %s: %zd (%s): cannot check that the child is in bpf(BPF_MAP_FREEZE)",
		     path, n, n < 0 ? ename(errno) : "empty");
		return false;
	}
	buf[n] = '\0';
	if (sscanf(buf, "%ld 0x%llx", &nr, &cmd) == 2 && nr == __NR_bpf &&
	    cmd == BPF_MAP_FREEZE)
		return true;
	buf[strcspn(buf, "\n")] = '\0';
	FAIL("the child is not in bpf(BPF_MAP_FREEZE): %s is \"%.60s\", expected it to start with \"%d 0x%x \"",
	     path, buf, __NR_bpf, BPF_MAP_FREEZE);
	return false;
}

/* for the log only: where a task sleeps */
static void print_wchan(const char *who, const char *path)
{
	char buf[128] = "?";
	ssize_t n;
	int f;

	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f >= 0) {
		n = read(f, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		close(f);
	}
	ksft_print_msg("%s: %s sleeps in %s\n", cur_test, who,
		       *buf ? buf : "?");
}

/* ------------------------------------------------------------- sockets */

/* loopback is down at boot; SIOCSIFFLAGS IFF_UP, idempotent */
static bool lo_up(void)
{
	struct ifreq ifr;
	bool ok = false;
	int s;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		FAIL("socket(AF_INET, SOCK_DGRAM): %s: does the kernel lack CONFIG_INET?",
		     ename(errno));
		return false;
	}
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (!CHECK_SYS(ioctl(s, SIOCGIFFLAGS, &ifr), "SIOCGIFFLAGS lo"))
		goto out;
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (!CHECK_SYS(ioctl(s, SIOCSIFFLAGS, &ifr),
			       "SIOCSIFFLAGS lo IFF_UP"))
			goto out;
		if (!CHECK_SYS(ioctl(s, SIOCGIFFLAGS, &ifr), "SIOCGIFFLAGS lo"))
			goto out;
	}
	ok = CHECK(ifr.ifr_flags & IFF_UP, "lo still down (flags %#x)",
		   ifr.ifr_flags);
out:
	close(s);
	return ok;
}

/* a listener on 127.0.0.1, a connected client c and the accepted a */
static bool tcp_pair(int *l, int *c, int *a)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(sa);

	*l = *c = *a = -1;
	if (!lo_up())
		return false;
	*l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*l < 0) {
		FAIL("socket(AF_INET, SOCK_STREAM): %s: does the kernel lack CONFIG_INET?",
		     ename(errno));
		return false;
	}
	if (!CHECK_SYS(bind(*l, (struct sockaddr *)&sa, sizeof(sa)),
		       "bind 127.0.0.1:0") ||
	    !CHECK_SYS(listen(*l, 1), "listen") ||
	    !CHECK_SYS(getsockname(*l, (struct sockaddr *)&sa, &len),
		       "getsockname"))
		return false;
	*c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!CHECK_SYS(*c, "socket (client)") ||
	    !CHECK_SYS(connect(*c, (struct sockaddr *)&sa, sizeof(sa)),
		       "connect 127.0.0.1"))
		return false;
	*a = accept4(*l, NULL, NULL, SOCK_CLOEXEC);
	return CHECK_SYS(*a, "accept4");
}

static bool send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t r = send(fd, p, n, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (!CHECK_SYS(r, "send"))
			return false;
		p += r;
		n -= r;
	}
	return true;
}

/* until @n bytes are queued for reading on @fd */
static bool wait_queued(int fd, int n)
{
	double t0 = now_ms();
	int q = 0;

	for (;;) {
		if (!CHECK_SYS(ioctl(fd, FIONREAD, &q), "FIONREAD"))
			return false;
		if (q >= n)
			return CHECK(q == n, "%d bytes queued, sent %d", q, n);
		if (now_ms() - t0 > WAIT_MS) {
			FAIL("%d of %d bytes queued after %.0f ms", q, n,
			     WAIT_MS);
			return false;
		}
		pause_us(1000);
	}
}

static bool sock_cookie(int fd, __u64 *cookie)
{
	socklen_t len = sizeof(*cookie);

	return CHECK_SYS(getsockopt(fd, SOL_SOCKET, SO_COOKIE, cookie, &len),
			 "getsockopt(SO_COOKIE)");
}

static void fill_msg(unsigned char *msg, unsigned int seed)
{
	for (int i = 0; i < NBYTES; i++)
		msg[i] = (unsigned char)(seed + 7 * i + 1);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ------------------------------------------------- calls in their thread */

enum op_kind { OP_UPDATE, OP_DELETE, OP_FREEZE, OP_RECV };

/*
 * One blocking call in a thread of its own, so that the main thread can
 * watch it: whether it has returned, its state while it has not.
 */
struct op {
	const char *name;
	enum op_kind kind;
	int map;
	__u32 value_size, key;
	int sock;		/* update: the socket inserted; recv: read */
	void *buf;		/* recv */
	size_t len;
	bool lookup_after;	/* freeze: look lookup_key up once returned */
	__u32 lookup_key;
	int frozen_after;	/* map ops: fdinfo "frozen:" once returned */

	pthread_t th;
	bool started;
	atomic_int tid;
	atomic_bool done;
	long ret;		/* recv: bytes */
	int err;		/* 0 or errno */
	int lookup_err;
	__u64 lookup_val;
	double t_start, t_end;
	unsigned int seq;	/* order of return among the ops */
};

static atomic_uint done_seq;

static void *op_main(void *arg)
{
	struct op *o = arg;
	long ret = 0;
	int err = 0;

	atomic_store(&o->tid, (int)syscall(SYS_gettid));
	switch (o->kind) {
	case OP_UPDATE:
		err = sockmap_update(o->map, o->value_size, o->key, o->sock);
		break;
	case OP_DELETE:
		err = map_delete(o->map, o->key);
		break;
	case OP_FREEZE:
		err = map_freeze(o->map);
		break;
	case OP_RECV:
		ret = recv(o->sock, o->buf, o->len, 0);
		err = ret < 0 ? errno : 0;
		break;
	}
	o->t_end = now_ms();
	if (o->kind != OP_RECV)
		o->frozen_after = fdinfo_frozen(o->map);
	if (o->lookup_after)
		o->lookup_err = map_lookup(o->map, o->lookup_key,
					   &o->lookup_val);
	o->ret = ret;
	o->err = err;
	o->seq = atomic_fetch_add(&done_seq, 1) + 1;
	atomic_store(&o->done, true);
	return NULL;
}

static bool op_start(struct op *o)
{
	int err;

	atomic_store(&o->tid, 0);
	atomic_store(&o->done, false);
	o->t_start = now_ms();
	err = pthread_create(&o->th, NULL, op_main, o);
	if (err) {
		FAIL("pthread_create (%s): %s", o->name, ename(err));
		return false;
	}
	o->started = true;
	return true;
}

/* whether @o has returned within @ms */
static bool op_wait(struct op *o, double ms)
{
	double t0 = now_ms();

	while (!atomic_load(&o->done)) {
		if (now_ms() - t0 > ms)
			return false;
		pause_us(1000);
	}
	return true;
}

/* joins @o once returned (within WAIT_MS); false if it is still running */
static bool op_reap(struct op *o)
{
	if (!o->started)
		return true;
	if (!op_wait(o, WAIT_MS))
		return false;
	pthread_join(o->th, NULL);
	o->started = false;
	return true;
}

/* @o returned within @ms, with @want */
static bool op_returns(struct op *o, double ms, int want)
{
	if (!op_wait(o, ms)) {
		FAIL("%s: not returned after %.0f ms, expected %s", o->name,
		     ms, ename(want));
		return false;
	}
	return CHECK_ERR(o->err, want, o->name);
}

/*
 * @o has not returned and sleeps in state @st ('D': TASK_UNINTERRUPTIBLE
 * or TASK_KILLABLE), and still does @hold_ms later.
 */
static bool op_blocked(struct op *o, char st, double hold_ms)
{
	double t0 = now_ms();
	char s = 0;
	int tid;

	while (!(tid = atomic_load(&o->tid))) {
		if (now_ms() - t0 > WAIT_MS) {
			FAIL("%s: the thread did not start", o->name);
			return false;
		}
		pause_us(1000);
	}
	for (;;) {
		if (atomic_load(&o->done))
			goto returned;
		s = thread_state(tid);
		if (s == st)
			break;
		if (now_ms() - t0 > WAIT_MS) {
			FAIL("%s: not blocked: state '%c' after %.0f ms, expected '%c'",
			     o->name, s ? s : '?', WAIT_MS, st);
			return false;
		}
		pause_us(1000);
	}
	pause_us(hold_ms * 1000);
	if (atomic_load(&o->done))
		goto returned;
	s = thread_state(tid);
	return CHECK(s == st, "%s: state '%c' after %.0f ms blocked, expected '%c'",
		     o->name, s ? s : '?', hold_ms, st);
returned:
	FAIL("%s: returned %s after %.1f ms, expected it to block%s",
	     o->name, ename(o->err), o->t_end - o->t_start,
	     o->kind == OP_FREEZE && o->err == EBUSY ?
	     " (upstream's EBUSY for a writer in flight: freeze does not wait)" :
	     "");
	return false;
}

/* ------------------------------------------------------------ userfaultfd */

struct uffd {
	int fd;
	char *region;	/* page 0: registered, missing; page 1: the source */
	bool resolved;
};

static bool uffd_setup(struct uffd *u)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;

	u->fd = -1;
	u->resolved = false;
	u->region = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (u->region == MAP_FAILED) {
		u->region = NULL;
		FAIL("mmap: %s", ename(errno));
		return false;
	}
	memset(u->region + page, SRC_FILL, page);
	u->fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u->fd < 0) {
		FAIL("userfaultfd: %s: does the kernel lack CONFIG_USERFAULTFD?",
		     ename(errno));
		return false;
	}
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (unsigned long)u->region;
	reg.range.len = page;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	return CHECK_SYS(ioctl(u->fd, UFFDIO_API, &api), "UFFDIO_API") &&
	       CHECK_SYS(ioctl(u->fd, UFFDIO_REGISTER, &reg),
			 "UFFDIO_REGISTER");
}

/* a thread faulted on the registered page */
static bool uffd_wait_fault(struct uffd *u)
{
	struct pollfd pfd = { .fd = u->fd, .events = POLLIN };
	unsigned long addr, start = (unsigned long)u->region;
	struct uffd_msg msg;
	ssize_t n;
	int ret;

	ret = poll(&pfd, 1, WAIT_MS);
	if (!CHECK_SYS(ret, "poll(userfaultfd)") ||
	    !CHECK(ret == 1, "no fault on the registered page within %.0f ms",
		   WAIT_MS))
		return false;
	n = read(u->fd, &msg, sizeof(msg));
	if (!CHECK_SYS(n, "read(userfaultfd)") ||
	    !CHECK(n == sizeof(msg), "read(userfaultfd): %zd bytes", n))
		return false;
	addr = msg.arg.pagefault.address;
	return CHECK(msg.event == UFFD_EVENT_PAGEFAULT,
		     "userfaultfd event %u, expected a page fault", msg.event) &&
	       CHECK(addr >= start && addr < start + page,
		     "fault at %#lx, outside the registered page %#lx",
		     addr, start);
}

/* UFFDIO_COPY of the source page, which wakes the faulting thread */
static int uffd_resolve(struct uffd *u)
{
	struct uffdio_copy copy = {
		.dst = (unsigned long)u->region,
		.src = (unsigned long)(u->region + page),
		.len = page,
	};

	if (u->resolved)
		return 0;
	u->resolved = true;
	return ioctl(u->fd, UFFDIO_COPY, &copy) ? errno : 0;
}

/* ------------------------------------------------------------ 1. lockdep */

static void test_lockdep(void)
{
	int arr = -1, smap = -1, l = -1, c = -1, a = -1, err;
	__u64 *p1 = MAP_FAILED, *p2 = MAP_FAILED, v;
	const __u64 v0 = 0x1122334455667788ULL;
	unsigned char msg[NBYTES];
	ssize_t n;
	void *p;

	/* (a) mmap_lock -> map: a writable mapping of the array, touched */
	arr = map_create(BPF_MAP_TYPE_ARRAY, page / 8, BPF_F_MMAPABLE);
	if (arr < 0) {
		FAIL("BPF_MAP_CREATE array BPF_F_MMAPABLE: %s", ename(errno));
		goto out;
	}
	p1 = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, arr, 0);
	if (p1 == MAP_FAILED) {
		FAIL("writable mmap of the array: %s", ename(errno));
		goto out;
	}
	p1[0] = v0;
	v = 0;
	if (CHECK_ERR(map_lookup(arr, 0, &v), 0, "lookup key 0"))
		CHECK(v == v0, "key 0: %#llx, written %#llx through mmap",
		      (unsigned long long)v, (unsigned long long)v0);

	/*
	 * (b) sk_lock -> mmap_lock: tcp_recvmsg() copies to the mapping under
	 * lock_sock() (might_fault() tells lockdep it may take mmap_lock).
	 * Into a second mapping, not touched before.
	 */
	if (!tcp_pair(&l, &c, &a))
		goto out;
	fill_msg(msg, 1);
	if (!send_all(c, msg, NBYTES))
		goto out;
	p2 = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, arr, 0);
	if (p2 == MAP_FAILED) {
		FAIL("second writable mmap of the array: %s", ename(errno));
		goto out;
	}
	n = recv(a, (char *)p2 + 8, NBYTES, MSG_WAITALL);
	if (!CHECK_SYS(n, "recv into the mapped array") ||
	    !CHECK(n == NBYTES, "recv: %zd bytes, sent %d", n, NBYTES))
		goto out;
	CHECK(!memcmp((char *)p2 + 8, msg, NBYTES),
	      "bytes received into the mapping differ from those sent");
	CHECK(!memcmp((char *)p1 + 8, msg, NBYTES),
	      "the first mapping does not see the bytes received");
	for (__u32 k = 1; k <= NBYTES / 8; k++) {
		__u64 want;

		memcpy(&want, msg + 8 * (k - 1), 8);
		v = 0;
		if (CHECK_ERR(map_lookup(arr, k, &v), 0, "lookup after recv"))
			CHECK(v == want, "key %u: %#llx, received %#llx", k,
			      (unsigned long long)v, (unsigned long long)want);
	}
	CHECK_SYS(munmap(p1, page), "munmap");
	CHECK_SYS(munmap(p2, page), "munmap");
	p1 = p2 = MAP_FAILED;

	/* (c) map write -> sk_lock: a sockmap update takes lock_sock() */
	smap = sockmap_create(4, 2);
	if (smap < 0) {
		FAIL("BPF_MAP_CREATE BPF_MAP_TYPE_SOCKMAP: %s: does the kernel lack CONFIG_INET (sockmap)?",
		     ename(errno));
		goto out;
	}
	CHECK_ERR(sockmap_update(smap, 4, 0, a), 0,
		  "sockmap update key 0 with the accepted TCP socket");

	CHECK_ERR(map_freeze(arr), 0, "freeze of the array, unmapped");
	CHECK_FROZEN(arr, 1, "array after freeze");
	CHECK_ERR(map_update(arr, 0, 1), EPERM, "array update after freeze");
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, arr, 0);
	err = p == MAP_FAILED ? errno : 0;
	CHECK_ERR(err, EPERM, "writable mmap of the array after freeze");
	if (p != MAP_FAILED)
		munmap(p, page);
	v = 0;
	if (CHECK_ERR(map_lookup(arr, 0, &v), 0, "array lookup after freeze"))
		CHECK(v == v0, "key 0 after freeze: %#llx, expected %#llx",
		      (unsigned long long)v, (unsigned long long)v0);

	CHECK_FROZEN(smap, 0, "sockmap before freeze");
	CHECK_ERR(map_freeze(smap), 0, "freeze of the sockmap");
	CHECK_FROZEN(smap, 1, "sockmap after freeze");
	CHECK_ERR(sockmap_update(smap, 4, 1, c), EPERM,
		  "sockmap update key 1 after freeze");
	CHECK_ERR(sockmap_update(smap, 4, 0, c), EPERM,
		  "sockmap update key 0 after freeze");
	CHECK_ERR(map_delete(smap, 0), EPERM,
		  "sockmap delete key 0 after freeze");
	CHECK_ERR(map_freeze(smap), EPERM, "second freeze of the sockmap");
out:
	if (p1 != MAP_FAILED)
		munmap(p1, page);
	if (p2 != MAP_FAILED)
		munmap(p2, page);
	close_fd(&smap);
	close_fd(&a);
	close_fd(&c);
	close_fd(&l);
	close_fd(&arr);
}

/* ------------------- R parked in a fault under lock_sock(), W behind it */

/*
 * Static: a thread that outlives its subtest (the program then exits)
 * never points into a dead stack frame.
 */
static struct rig {
	int l, c, a, smap;
	__u64 cookie_a;
	unsigned char msg[NBYTES];
	struct uffd u;
	struct op r, w, f, x;	/* x: a refused write or a later freeze */
} rig;

static void rig_init(struct rig *g)
{
	memset(g, 0, sizeof(*g));
	g->l = g->c = g->a = g->smap = -1;
	g->u.fd = -1;
}

/*
 * A TCP connection c -> a with NBYTES queued on a; the sockmap (value_size
 * 8, so that a syscall lookup gives the socket's cookie); R in recv() on a
 * into the registered page, parked in the fault with lock_sock(a) held;
 * W in BPF_MAP_UPDATE_ELEM(key 0, a), counted, asleep in lock_sock(a).
 */
static bool rig_setup(struct rig *g, unsigned int seed)
{
	__u64 v;

	rig_init(g);
	if (!tcp_pair(&g->l, &g->c, &g->a) || !sock_cookie(g->a, &g->cookie_a))
		return false;
	g->smap = sockmap_create(8, 2);
	if (g->smap < 0) {
		FAIL("BPF_MAP_CREATE BPF_MAP_TYPE_SOCKMAP: %s: does the kernel lack CONFIG_INET (sockmap)?",
		     ename(errno));
		return false;
	}
	/* what the refused writes below would do on a map not freezing */
	if (!CHECK_ERR(sockmap_update(g->smap, 8, 1, g->c), 0,
		       "update key 1 with the client socket, before the test") ||
	    !CHECK_ERR(map_delete(g->smap, 1), 0, "delete key 1") ||
	    !CHECK_ERR(map_delete(g->smap, 1), EINVAL,
		       "delete of the empty key 1") ||
	    !CHECK_ERR(map_lookup(g->smap, 0, &v), ENOENT,
		       "lookup of the empty key 0"))
		return false;

	if (!uffd_setup(&g->u))
		return false;
	fill_msg(g->msg, seed);
	if (!send_all(g->c, g->msg, NBYTES) || !wait_queued(g->a, NBYTES))
		return false;

	g->r = (struct op){ .name = "R: recv() into the missing page",
			    .kind = OP_RECV, .sock = g->a,
			    .buf = g->u.region, .len = NBYTES };
	if (!op_start(&g->r) || !uffd_wait_fault(&g->u))
		return false;
	if (atomic_load(&g->r.done)) {
		FAIL("R: recv() returned %ld (%s) with the fault pending",
		     g->r.ret, ename(g->r.err));
		return false;
	}

	g->w = (struct op){ .name = "W: sockmap update key 0 with the socket R holds",
			    .kind = OP_UPDATE, .map = g->smap,
			    .value_size = 8, .key = 0, .sock = g->a };
	return op_start(&g->w) && op_blocked(&g->w, 'D', W_BLOCKED_MS);
}

/* resolve the fault, if not yet: R returns with the data, W with 0 */
static bool rig_resolve(struct rig *g, double *t_resolve)
{
	int err;

	*t_resolve = now_ms();
	err = uffd_resolve(&g->u);
	if (!CHECK_ERR(err, 0, "UFFDIO_COPY"))
		return false;
	if (!op_wait(&g->r, WAIT_MS)) {
		FAIL("R: recv() not returned %.0f ms after the fault was resolved",
		     WAIT_MS);
		return false;
	}
	if (CHECK_SYS(g->r.ret, "R: recv()") &&
	    CHECK(g->r.ret == NBYTES, "R: recv(): %ld bytes, sent %d",
		  g->r.ret, NBYTES)) {
		const unsigned char *b = (const unsigned char *)g->u.region;
		long k;

		CHECK(!memcmp(b, g->msg, NBYTES),
		      "R: the bytes received differ from those sent");
		for (k = NBYTES; k < page && b[k] == SRC_FILL; k++)
			;
		CHECK(k == page, "R: byte %ld of the page is %#x, expected the UFFDIO_COPY fill %#x",
		      k, k < page ? b[k] : 0, SRC_FILL);
	}
	return op_returns(&g->w, WAIT_MS, 0);
}

/* the write W landed: key 0 holds socket a */
static void check_w_landed(struct rig *g, const char *when)
{
	char what[160];
	__u64 v = 0;

	snprintf(what, sizeof(what), "%s: lookup key 0", when);
	if (CHECK_ERR(map_lookup(g->smap, 0, &v), 0, what))
		CHECK(v == g->cookie_a, "%s: key 0 holds cookie %llu, W inserted %llu",
		      when, (unsigned long long)v,
		      (unsigned long long)g->cookie_a);
}

/*
 * New writers while W is in flight: an update of key 1 with the client
 * socket and a delete of key 1, each refused with EPERM at once (in thread
 * x, within WAIT_MS), and W still blocked after both: they did not wait
 * for W, which stays blocked until the fault is resolved.
 */
static bool refused_at_once(struct rig *g, const char *when)
{
	g->x = (struct op){ .name = "update key 1 with the client socket while freezing",
			    .kind = OP_UPDATE, .map = g->smap,
			    .value_size = 8, .key = 1, .sock = g->c };
	if (!op_start(&g->x) || !op_returns(&g->x, WAIT_MS, EPERM) ||
	    !op_reap(&g->x)) {
		FAIL("%s: new writers are not refused at once", when);
		return false;
	}
	g->x = (struct op){ .name = "delete key 1 while freezing",
			    .kind = OP_DELETE, .map = g->smap, .key = 1 };
	if (!op_start(&g->x) || !op_returns(&g->x, WAIT_MS, EPERM) ||
	    !op_reap(&g->x)) {
		FAIL("%s: new writers are not refused at once", when);
		return false;
	}
	return CHECK(!atomic_load(&g->w.done),
		     "%s: W returned %s during the refused writes, R still parked",
		     when, ename(g->w.err));
}

static void rig_teardown(struct rig *g)
{
	struct op *ops[] = { &g->r, &g->w, &g->f, &g->x };
	bool stuck = false;

	/* lets R go, and W and a waiting freeze after it */
	if (g->u.fd >= 0 && uffd_resolve(&g->u))
		close_fd(&g->u.fd);	/* wakes R with EFAULT instead */
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (!op_reap(ops[i])) {
			FAIL("%s: still running after the teardown", ops[i]->name);
			stuck = true;
		}
	}
	if (stuck) {
		ksft_test_result_fail("%s\n", cur_test);
		ksft_exit_fail_msg("threads stuck in the kernel, giving up\n");
	}
	close_fd(&g->u.fd);
	if (g->u.region)
		munmap(g->u.region, 2 * page);
	g->u.region = NULL;
	close_fd(&g->smap);
	close_fd(&g->a);
	close_fd(&g->c);
	close_fd(&g->l);
}

/* ------------------------------------------ 2. freeze waits for W */

static void test_freeze_waits(void)
{
	struct rig *g = &rig;
	char path[64];
	double t_res;

	if (!rig_setup(g, 2))
		goto out;

	/* F: freeze must wait for W, asleep killable (state D) */
	g->f = (struct op){ .name = "F: BPF_MAP_FREEZE with W in flight",
			    .kind = OP_FREEZE, .map = g->smap,
			    .lookup_after = true, .lookup_key = 0 };
	if (!op_start(&g->f) || !op_blocked(&g->f, 'D', F_WAITS_MS))
		goto out;
	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan",
		 atomic_load(&g->f.tid));
	print_wchan("F", path);
	CHECK_FROZEN(g->smap, 0, "freezing, W in flight");

	/* the map is freezing: new writers are refused at once */
	if (!refused_at_once(g, "F waiting for W") ||
	    !CHECK(!atomic_load(&g->f.done),
		   "F returned %s while W was blocked", ename(g->f.err)))
		goto out;

	/* R goes, then W, then F */
	if (!rig_resolve(g, &t_res) || !op_returns(&g->f, WAIT_MS, 0))
		goto out;
	ksft_print_msg("%s: after the fault was resolved: W returned in %.1f ms, F in %.1f ms (return order: W %u, F %u)\n",
		       cur_test, g->w.t_end - t_res, g->f.t_end - t_res,
		       g->w.seq, g->f.seq);
	CHECK(g->f.t_end >= t_res,
	      "F returned %.1f ms before the fault was resolved",
	      t_res - g->f.t_end);
	/* looked up by F right after its freeze returned: W had written */
	if (CHECK_ERR(g->f.lookup_err, 0,
		      "lookup of key 0 right after freeze returned"))
		CHECK(g->f.lookup_val == g->cookie_a,
		      "freeze returned before W's write landed: key 0 held cookie %llu, W inserts %llu",
		      (unsigned long long)g->f.lookup_val,
		      (unsigned long long)g->cookie_a);
	check_w_landed(g, "after freeze");
	CHECK(g->f.frozen_after == 1,
	      "fdinfo frozen: %d right after F's freeze returned, expected 1",
	      g->f.frozen_after);
	CHECK_FROZEN(g->smap, 1, "after freeze returned");
	CHECK_ERR(sockmap_update(g->smap, 8, 1, g->c), EPERM,
		  "update key 1 after freeze");
	CHECK_ERR(sockmap_update(g->smap, 8, 0, g->c), EPERM,
		  "update key 0 after freeze");
	CHECK_ERR(map_delete(g->smap, 0), EPERM, "delete key 0 after freeze");
	/*
	 * in thread x, watched: on a broken kernel a freeze may sleep
	 * killable for good, and the watchdog's SIGALRM does not wake that
	 */
	g->x = (struct op){ .name = "second freeze", .kind = OP_FREEZE,
			    .map = g->smap };
	if (op_start(&g->x) && op_returns(&g->x, WAIT_MS, EPERM))
		op_reap(&g->x);
	CHECK_ERR(map_lookup(g->smap, 1, &(__u64){ 0 }), ENOENT,
		  "lookup of key 1, never written while freezing");
out:
	rig_teardown(g);
}

/* -------------------------- 3. a killed freezer's freeze still completes */

static void test_killed_freezer(void)
{
	struct rig *g = &rig;
	struct pollfd pfd;
	int pfd_[2] = { -1, -1 }, status = 0;
	double t0, t_res;
	char path[64], s = 0, b;
	pid_t pid = 0, r;

	if (!rig_setup(g, 3))
		goto out;
	if (!CHECK_SYS(pipe2(pfd_, O_CLOEXEC), "pipe2"))
		goto out;
	fflush(stdout);
	pid = fork();
	if (!CHECK_SYS(pid, "fork"))
		goto out;
	if (pid == 0) {
		/* the child: one thread, the sockmap fd inherited */
		b = 'F';
		close(pfd_[0]);
		if (write(pfd_[1], &b, 1) != 1)
			_exit(100);
		_exit(map_freeze(g->smap));	/* 0 or the errno */
	}
	watchdog()->child = pid;
	close_fd(&pfd_[1]);

	/* the child is about to freeze; then it waits for W, in state D */
	pfd = (struct pollfd){ .fd = pfd_[0], .events = POLLIN };
	if (!CHECK(poll(&pfd, 1, WAIT_MS) == 1 && read(pfd_[0], &b, 1) == 1,
		   "the child did not start within %.0f ms", WAIT_MS))
		goto out;
	t0 = now_ms();
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			pid = 0;
			watchdog()->child = 0;
			FAIL("the child's freeze returned %s with W in flight, expected it to wait%s",
			     WIFEXITED(status) ?
			     ename(WEXITSTATUS(status)) : "(killed)",
			     WIFEXITED(status) && WEXITSTATUS(status) == EBUSY ?
			     " (upstream's EBUSY)" : "");
			goto out;
		}
		s = proc_state(pid);
		if (s == 'D')
			break;
		if (now_ms() - t0 > WAIT_MS) {
			FAIL("the child's state is '%c' after %.0f ms, expected 'D' (waiting for W)",
			     s ? s : '?', WAIT_MS);
			goto out;
		}
		pause_us(1000);
	}
	pause_us(F_WAITS_MS * 1000);
	r = waitpid(pid, &status, WNOHANG);
	if (r == -1) {
		FAIL("waitpid of the freezing child: %s", ename(errno));
		pid = watchdog()->child = 0;
		goto out;
	}
	if (!CHECK(r == 0, "the child's freeze returned (%s) while W was blocked",
		   WIFEXITED(status) ? ename(WEXITSTATUS(status)) : "killed")) {
		pid = watchdog()->child = 0;
		goto out;
	}
	s = proc_state(pid);
	if (!CHECK(s == 'D', "the child's state is '%c' after %.0f ms, expected 'D'",
		   s ? s : '?', F_WAITS_MS))
		goto out;
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	print_wchan("the child's freeze", path);

	/*
	 * The freeze was announced before the kill: the child is in
	 * bpf(BPF_MAP_FREEZE), and new writers are refused at once while
	 * fdinfo, read after them, still says not frozen.
	 */
	if (!in_freeze_syscall(pid) ||
	    !refused_at_once(g, "freezing, the child waiting"))
		goto out;
	CHECK_FROZEN(g->smap, 0, "freezing, the child waiting");

	/* SIGKILL: the wait is killable, the child dies at once */
	if (!CHECK_SYS(kill(pid, SIGKILL), "kill(SIGKILL)"))
		goto out;
	t0 = now_ms();
	while (!(r = waitpid(pid, &status, WNOHANG)) &&
	       now_ms() - t0 < WAIT_MS)
		pause_us(1000);
	if (!CHECK(r == pid, "the child still alive %.0f ms after SIGKILL: the freeze wait is not killable",
		   WAIT_MS))
		goto out;
	pid = watchdog()->child = 0;
	if (!CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		   "the child ended with status %#x, expected death by SIGKILL",
		   status))
		goto out;
	if (!CHECK(!atomic_load(&g->w.done), "W returned %s with R still parked",
		   ename(g->w.err)))
		goto out;

	/*
	 * W still blocked: the map stays freezing, not frozen; the kill did
	 * not take the announcement back
	 */
	if (!refused_at_once(g, "after the freezer was killed"))
		goto out;
	CHECK_FROZEN(g->smap, 0, "after the freezer was killed");

	/* W's write lands, and the last writer in flight completes the freeze */
	if (!rig_resolve(g, &t_res))
		goto out;
	CHECK(g->w.frozen_after == 1,
	      "fdinfo frozen: %d when W's thread read it after its update returned, expected 1: the freeze of the killed freezer was not completed by the last writer",
	      g->w.frozen_after);
	CHECK_FROZEN(g->smap, 1, "W returned, freezer killed, no freeze since");
	check_w_landed(g, "W returned, freezer killed");
	CHECK_ERR(sockmap_update(g->smap, 8, 1, g->c), EPERM,
		  "update key 1 after W returned");
	CHECK_ERR(sockmap_update(g->smap, 8, 0, g->c), EPERM,
		  "update key 0 after W returned");
	CHECK_ERR(map_delete(g->smap, 0), EPERM, "delete key 0 after W returned");

	/* already frozen: a later freeze is refused as for any frozen map */
	g->x = (struct op){ .name = "freeze from the parent, after W returned",
			    .kind = OP_FREEZE, .map = g->smap };
	if (!op_start(&g->x) || !op_returns(&g->x, WAIT_MS, EPERM) ||
	    !op_reap(&g->x))
		goto out;
	CHECK(g->x.frozen_after == 1,
	      "fdinfo frozen: %d right after the parent's freeze returned, expected 1",
	      g->x.frozen_after);
	CHECK_FROZEN(g->smap, 1, "after the parent's freeze");
	check_w_landed(g, "after the parent's freeze");
	CHECK_ERR(map_lookup(g->smap, 1, &(__u64){ 0 }), ENOENT,
		  "lookup of key 1, never written while freezing");
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		/* dies once W lets go: teardown first resolves the fault */
	}
	rig_teardown(g);
	if (pid > 0) {
		t0 = now_ms();
		while (!waitpid(pid, &status, WNOHANG) &&
		       now_ms() - t0 < WAIT_MS)
			pause_us(1000);
		watchdog()->child = 0;
	}
	close_fd(&pfd_[0]);
	close_fd(&pfd_[1]);
}

/* ------------------------------------------ 4. other map types, one boot */

/* "r0 = 0; exit" as a socket filter: an fd or -1 and errno */
static int prog_load_trivial(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (__u64)(uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (__u64)(uintptr_t)"GPL";
	return sys_bpf(BPF_PROG_LOAD, &a, sizeof(a));
}

/*
 * One map of @type with key 4 bytes and @value_size: update key @key with
 * @val (0), freeze (0), fdinfo frozen, then update (also with @val2 on a
 * second key), delete and a second freeze all EPERM, and the element is
 * still there.
 */
static void update_then_freeze(const char *name, __u32 type, __u32 value_size,
			       __u32 max, __u32 key, const void *val,
			       __u32 key2, const void *val2)
{
	char what[96];
	__u64 out[2];
	int fd;

	fd = map_create_kv(type, 4, value_size, max);
	if (fd < 0) {
		FAIL("BPF_MAP_CREATE %s: %s", name, ename(errno));
		return;
	}
	snprintf(what, sizeof(what), "%s: update key %u", name, key);
	CHECK_ERR(elem_cmd(BPF_MAP_UPDATE_ELEM, fd, &key, val), 0, what);
	snprintf(what, sizeof(what), "%s: freeze", name);
	CHECK_ERR(map_freeze(fd), 0, what);
	CHECK_FROZEN(fd, 1, name);
	snprintf(what, sizeof(what), "%s: update key %u after freeze", name, key);
	CHECK_ERR(elem_cmd(BPF_MAP_UPDATE_ELEM, fd, &key, val), EPERM, what);
	snprintf(what, sizeof(what), "%s: update key %u after freeze", name, key2);
	CHECK_ERR(elem_cmd(BPF_MAP_UPDATE_ELEM, fd, &key2, val2), EPERM, what);
	snprintf(what, sizeof(what), "%s: delete key %u after freeze", name, key);
	CHECK_ERR(elem_cmd(BPF_MAP_DELETE_ELEM, fd, &key, NULL), EPERM, what);
	snprintf(what, sizeof(what), "%s: second freeze", name);
	CHECK_ERR(map_freeze(fd), EPERM, what);
	/* prog_array and sockhash have no syscall lookup: the element is
	 * checked where the kernel lets user space read it.
	 */
	if (type == BPF_MAP_TYPE_CPUMAP) {
		memset(out, 0, sizeof(out));
		snprintf(what, sizeof(what), "%s: lookup key %u after freeze", name, key);
		if (CHECK_ERR(elem_cmd(BPF_MAP_LOOKUP_ELEM, fd, &key, out), 0, what))
			CHECK(!memcmp(out, val, value_size),
			      "%s: key %u changed by the refused writes", name, key);
	}
	close(fd);
}

/*
 * Syscall-side updates that sleep or take other locks inside the count of
 * writers in flight, then a freeze of each, in the boot that has the locks
 * of test 1 (PROVE_LOCKING): a sockhash update (lock_sock()), a prog_array
 * update (the map's poke_mutex), a cpumap update (creates a kthread), a
 * queue push. Lockdep reports any cycle in the console, which fails the run.
 * struct_ops needs BTF, which this kernel does not have: the BPF-CI config
 * covers it.
 */
static void test_other_maps(void)
{
	int l = -1, c = -1, a = -1, prog = -1;
	__u32 fd_a, fd_c, fd_p, qsize = 192, qsize2 = 64;
	__u64 q1 = 0x1234, q2 = 0x5678;

	if (!tcp_pair(&l, &c, &a))
		goto out;
	fd_a = a;
	fd_c = c;
	update_then_freeze("sockhash", BPF_MAP_TYPE_SOCKHASH, 4, 4, 7, &fd_a,
			   8, &fd_c);

	prog = prog_load_trivial();
	if (prog < 0) {
		FAIL("BPF_PROG_LOAD socket filter: %s", ename(errno));
		goto out;
	}
	fd_p = prog;
	update_then_freeze("prog_array", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 0,
			   &fd_p, 1, &fd_p);

	/* struct bpf_cpumap_val with its qsize alone; CPU 0 and 1 online */
	update_then_freeze("cpumap", BPF_MAP_TYPE_CPUMAP, 4, 2, 0, &qsize, 1,
			   &qsize2);

	/* a queue has no key: push, freeze, push EPERM, pop EPERM */
	{
		int q = map_create_kv(BPF_MAP_TYPE_QUEUE, 0, 8, 4);
		__u64 v = 0;

		if (q < 0) {
			FAIL("BPF_MAP_CREATE queue: %s", ename(errno));
			goto out;
		}
		CHECK_ERR(elem_cmd(BPF_MAP_UPDATE_ELEM, q, NULL, &q1), 0, "queue: push");
		CHECK_ERR(map_freeze(q), 0, "queue: freeze");
		CHECK_FROZEN(q, 1, "queue");
		CHECK_ERR(elem_cmd(BPF_MAP_UPDATE_ELEM, q, NULL, &q2), EPERM,
			  "queue: push after freeze");
		CHECK_ERR(elem_cmd(BPF_MAP_LOOKUP_AND_DELETE_ELEM, q, NULL, &v),
			  EPERM, "queue: pop after freeze");
		if (CHECK_ERR(elem_cmd(BPF_MAP_LOOKUP_ELEM, q, NULL, &v), 0,
			      "queue: peek after freeze"))
			CHECK(v == q1, "queue: peek %#llx, pushed %#llx",
			      (unsigned long long)v, (unsigned long long)q1);
		close(q);
	}
out:
	close_fd(&prog);
	close_fd(&a);
	close_fd(&c);
	close_fd(&l);
}

/* ----------------------------------------------------------------- main */

static void run(unsigned int nr, const char *name, void (*fn)(void))
{
	double t0 = now_ms();

	cur_test = name;
	failed = false;
	watchdog_arm(nr, name, WATCHDOG_S);
	fn();
	alarm(0);
	ksft_print_msg("%s: %.2f s\n", name, (now_ms() - t0) / 1e3);
	ksft_test_result(!failed, "%s\n", name);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(4);
	page = sysconf(_SC_PAGESIZE);
	signal(SIGPIPE, SIG_IGN);

	run(1, "lockdep_mmap_recv_sockmap", test_lockdep);
	run(2, "freeze_waits_for_sockmap_writer", test_freeze_waits);
	run(3, "killed_freezer_completes_freeze", test_killed_freezer);
	run(4, "other_map_types_update_then_freeze", test_other_maps);
	ksft_finished();
}
