// SPDX-License-Identifier: GPL-2.0
/*
 * map_bench: measure what the BPF_MAP_FREEZE series costs and buys.
 *
 * The series counts syscall-side writers in flight and makes BPF_MAP_FREEZE
 * wait for them instead of failing with -EBUSY. This program measures the
 * writer fast path and the freeze latency, idle and under load, so the same
 * binary can be run on the base and on the patched kernels.
 *
 * Usage: map_bench [GROUP...]
 *   GROUP is one of "update", "freeze_idle", "freeze_load" (2 CPUs online);
 *   default is these three, in that order. Or "insn" alone (1 CPU online):
 *   the same operations, one at a time between the marks of the QEMU plugin
 *   bench/qemu/insn_marks.c, which counts the guest instructions each takes.
 *
 * Environment:
 *   BENCH_DURATION     seconds per update measurement (float, default 1.0)
 *   BENCH_FREEZE_N     maps frozen for the idle latency (default 200)
 *   BENCH_LOAD_TRIALS  trials of freeze under load (default 200)
 *   BENCH_INSN_N       operations of each kind counted by "insn" (default 5000)
 *
 * Output (stdout): one "bench METRIC VALUE" line per metric, starting with
 * "bench cpus_online N"; every other line starts with "# ". Any unexpected
 * syscall error prints "# error: ..." and exits 1.
 *
 *   update_{array,hash}_t{1,2}   BPF_MAP_UPDATE_ELEM ops/s, 1 or 2 threads
 *   freeze_idle_ns_p{50,99}      BPF_MAP_FREEZE latency on an idle map
 *   freeze_load_first_try_pct    % of trials where the first freeze call
 *                                returned 0 while 2 threads were writing
 *   freeze_load_first_ns_p{50,99}   latency of that first call
 *   freeze_load_frozen_ns_p{50,99}  first call's start to a call returning 0
 *   freeze_load_attempts_max     most freeze calls needed in one trial
 *   freeze_load_late_writes      updates that started after freeze returned
 *                                0 and still succeeded (must be 0)
 *   insn_region_R NAME           "insn": the plugin's region R is NAME
 *
 * Build: clang -O2 -g -Wall -Werror -static \
 *          -I<linux>/tools/include/uapi map_bench.c -lpthread -o map_bench
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NSEC_PER_SEC		1000000000ULL

#define UPDATE_ENTRIES		1024
#define IDLE_ENTRIES		16
#define LOAD_ENTRIES		1024

/* Updates each hammer must have done before freeze, so both are running. */
#define LOAD_WARMUP_OPS		1000
/* Update attempts each hammer makes after freeze, to give late writes a chance. */
#define LOAD_POST_OPS		100
/*
 * Successful updates whose late-or-not check could not be done yet because
 * the freeze time was not published; kept per thread and checked after join.
 */
#define LOAD_RING		64
/*
 * Bound on every wait, so a broken kernel fails the run instead of hanging
 * it. Generous: QEMU TCG runs one to two orders of magnitude slower.
 */
#define WAIT_TIMEOUT_NS		(120 * NSEC_PER_SEC)

static int bench_cpu[2];	/* the two CPUs threads are pinned to */

static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Report an error and end the process. Safe from any thread: the lock is
 * never released, so a second failing thread blocks until _exit() kills it.
 */
static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&fail_lock);
	fputs("# error: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	_exit(1);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void sleep_ns(__u64 ns)
{
	struct timespec ts = {
		.tv_sec = ns / NSEC_PER_SEC,
		.tv_nsec = ns % NSEC_PER_SEC,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* A map of __u32 keys and __u64 values, typed by BTF when btf_fd is not 0. */
static int map_create_btf(enum bpf_map_type type, __u32 max_entries, int btf_fd,
			  __u32 key_type_id, __u32 value_type_id)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = type;
	attr.key_size = sizeof(__u32);
	attr.value_size = sizeof(__u64);
	attr.max_entries = max_entries;
	attr.btf_fd = btf_fd;
	attr.btf_key_type_id = key_type_id;
	attr.btf_value_type_id = value_type_id;
	fd = sys_bpf(BPF_MAP_CREATE, &attr);
	if (fd < 0)
		fail("BPF_MAP_CREATE type %d%s: %s", type,
		     btf_fd ? " with BTF" : "", strerror(errno));
	return fd;
}

static int map_create(enum bpf_map_type type, __u32 max_entries)
{
	return map_create_btf(type, max_entries, 0, 0, 0);
}

/*
 * An array that BPF_MAP_FREEZE refuses (-ENOTSUPP): its 8-byte value, the
 * size of the others', holds a struct bpf_spin_lock, a special field. Its
 * BTF, loaded raw:
 *   [1] int
 *   [2] struct bpf_spin_lock { int val; }
 *   [3] struct value { struct bpf_spin_lock lock; int x; }
 */
static int map_create_unfreezable(__u32 max_entries)
{
	static const char strs[] = "\0int\0bpf_spin_lock\0val\0value\0lock\0x";
	enum { S_INT = 1, S_LOCK = 5, S_VAL = 19, S_VALUE = 23, S_LOCKF = 29, S_X = 34 };
	static const __u32 types[] = {
		S_INT, BTF_KIND_INT << 24, 4, BTF_INT_SIGNED << 24 | 32,
		S_LOCK, BTF_KIND_STRUCT << 24 | 1, 4,
			S_VAL, 1, 0,
		S_VALUE, BTF_KIND_STRUCT << 24 | 2, 8,
			S_LOCKF, 2, 0,
			S_X, 1, 32,
	};
	struct {
		struct btf_header hdr;
		__u32 types[sizeof(types) / sizeof(types[0])];
		char strs[sizeof(strs)];
	} __attribute__((packed)) btf = {
		.hdr = {
			.magic = BTF_MAGIC,
			.version = BTF_VERSION,
			.hdr_len = sizeof(struct btf_header),
			.type_off = 0,
			.type_len = sizeof(types),
			.str_off = sizeof(types),
			.str_len = sizeof(strs),
		},
	};
	union bpf_attr attr;
	int btf_fd, fd;

	memcpy(btf.types, types, sizeof(types));
	memcpy(btf.strs, strs, sizeof(strs));
	memset(&attr, 0, sizeof(attr));
	attr.btf = (__u64)(unsigned long)&btf;
	attr.btf_size = sizeof(btf);
	btf_fd = sys_bpf(BPF_BTF_LOAD, &attr);
	if (btf_fd < 0)
		fail("BPF_BTF_LOAD: %s", strerror(errno));

	fd = map_create_btf(BPF_MAP_TYPE_ARRAY, max_entries, btf_fd, 1, 3);
	close(btf_fd);
	return fd;
}

/* Returns 0 or -errno; the caller decides which errors are expected. */
static int map_update(int fd, __u32 key, __u64 val)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	attr.key = (__u64)(unsigned long)&key;
	attr.value = (__u64)(unsigned long)&val;
	attr.flags = BPF_ANY;
	return sys_bpf(BPF_MAP_UPDATE_ELEM, &attr) ? -errno : 0;
}

static int map_lookup(int fd, __u32 key, __u64 *val)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	attr.key = (__u64)(unsigned long)&key;
	attr.value = (__u64)(unsigned long)val;
	return sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr) ? -errno : 0;
}

static int map_freeze(int fd)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	return sys_bpf(BPF_MAP_FREEZE, &attr) ? -errno : 0;
}

static void pin_self(int idx)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(bench_cpu[idx], &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fail("sched_setaffinity cpu %d: %s", bench_cpu[idx],
		     strerror(errno));
}

static void start_thread(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	int err = pthread_create(tid, NULL, fn, arg);

	if (err)
		fail("pthread_create: %s", strerror(err));
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile: the smallest sample >= pct% of the samples. */
static __u64 percentile(const __u64 *sorted, int n, int pct)
{
	int rank = (n * pct + 99) / 100;

	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

static void print_percentiles(const char *prefix, __u64 *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("bench %s_p50 %llu\n", prefix,
	       (unsigned long long)percentile(v, n, 50));
	printf("bench %s_p99 %llu\n", prefix,
	       (unsigned long long)percentile(v, n, 99));
}

static double env_double(const char *name, double def)
{
	const char *s = getenv(name);
	char *end;
	double v;

	if (!s || !*s)
		return def;
	v = strtod(s, &end);
	if (*end || !(v > 0))
		fail("%s=%s: expected a positive number", name, s);
	return v;
}

static int env_int(const char *name, int def)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	v = strtol(s, &end, 10);
	if (*end || v < 1 || v > 10000000)
		fail("%s=%s: expected a positive integer", name, s);
	return v;
}

/* ---- 1. update throughput ------------------------------------------- */

struct upd_ctx {
	int fd;
	pthread_barrier_t barrier;
	atomic_bool stop;
};

struct upd_thread {
	struct upd_ctx *ctx;
	pthread_t tid;
	int idx;
	__u32 key;	/* first key; threads start apart to avoid one hot key */
	__u64 ops;
	__u64 end_ns;
};

static void *upd_worker(void *arg)
{
	struct upd_thread *t = arg;
	struct upd_ctx *ctx = t->ctx;
	__u32 key = t->key;
	__u64 ops = 0;
	int err;

	pin_self(t->idx);
	pthread_barrier_wait(&ctx->barrier);
	while (!atomic_load_explicit(&ctx->stop, memory_order_relaxed)) {
		err = map_update(ctx->fd, key, ops);
		if (err)
			fail("BPF_MAP_UPDATE_ELEM: %s", strerror(-err));
		key = (key + 1) % UPDATE_ENTRIES;
		ops++;
	}
	t->end_ns = now_ns();
	t->ops = ops;
	return NULL;
}

/* Run nthreads writers on fd for duration_ns; returns ops/s. */
static double upd_run(int fd, int nthreads, __u64 duration_ns)
{
	struct upd_thread th[2];
	struct upd_ctx ctx = { .fd = fd };
	__u64 start, end = 0, ops = 0;
	int i;

	atomic_init(&ctx.stop, false);
	pthread_barrier_init(&ctx.barrier, NULL, nthreads + 1);
	for (i = 0; i < nthreads; i++) {
		th[i] = (struct upd_thread){
			.ctx = &ctx,
			.idx = i,
			.key = i * UPDATE_ENTRIES / nthreads,
		};
		start_thread(&th[i].tid, upd_worker, &th[i]);
	}
	pthread_barrier_wait(&ctx.barrier);
	start = now_ns();
	sleep_ns(duration_ns);
	atomic_store(&ctx.stop, true);
	for (i = 0; i < nthreads; i++) {
		pthread_join(th[i].tid, NULL);
		ops += th[i].ops;
		if (th[i].end_ns > end)
			end = th[i].end_ns;
	}
	pthread_barrier_destroy(&ctx.barrier);
	return ops * (double)NSEC_PER_SEC / (end - start);
}

static void upd_bench(const char *name, enum bpf_map_type type,
		      __u64 duration_ns)
{
	int fd = map_create(type, UPDATE_ENTRIES);
	__u32 key;
	int nthreads, err;

	/* Prefill, so hash updates replace elements instead of inserting. */
	for (key = 0; key < UPDATE_ENTRIES; key++) {
		err = map_update(fd, key, 0);
		if (err)
			fail("prefill %s key %u: %s", name, key, strerror(-err));
	}
	for (nthreads = 1; nthreads <= 2; nthreads++)
		printf("bench update_%s_t%d %.1f\n", name, nthreads,
		       upd_run(fd, nthreads, duration_ns));
	close(fd);
}

static void group_update(void)
{
	double duration = env_double("BENCH_DURATION", 1.0);
	__u64 duration_ns = duration * NSEC_PER_SEC;

	printf("# update: %.3f s per measurement\n", duration);
	upd_bench("array", BPF_MAP_TYPE_ARRAY, duration_ns);
	upd_bench("hash", BPF_MAP_TYPE_HASH, duration_ns);
}

/* ---- 2. idle freeze latency ----------------------------------------- */

static void group_freeze_idle(void)
{
	int n = env_int("BENCH_FREEZE_N", 200);
	__u64 *lat = calloc(n, sizeof(*lat));
	__u64 t0, t1;
	int i, fd, err;

	if (!lat)
		fail("out of memory");
	printf("# freeze_idle: %d maps\n", n);
	for (i = 0; i < n; i++) {
		fd = map_create(BPF_MAP_TYPE_ARRAY, IDLE_ENTRIES);
		t0 = now_ns();
		err = map_freeze(fd);
		t1 = now_ns();
		if (err)
			fail("BPF_MAP_FREEZE on idle map: %s", strerror(-err));
		lat[i] = t1 - t0;
		close(fd);
	}
	print_percentiles("freeze_idle_ns", lat, n);
	free(lat);
}

/* ---- 3. freeze under load ------------------------------------------- */

struct load_ctx {
	int fd;
	atomic_bool stop;
	/* When the successful freeze call returned; 0 until published. */
	_Atomic __u64 frozen_ns;
};

struct load_thread {
	struct load_ctx *ctx;
	pthread_t tid;
	int idx;
	atomic_ulong ok;	/* successful updates, polled by main */
	atomic_ulong post;	/* attempts that started after frozen_ns */
	__u64 late;		/* successes known to be late when checked */
	/* Start times of the last successes checked before publication. */
	__u64 ring[LOAD_RING];
	unsigned long nring;
};

/*
 * Count one successful update that started at @start. Late means it started
 * after freeze had returned 0. If the return time is not published yet, the
 * start time is kept and judged by the main thread after join.
 */
static void load_note_ok(struct load_thread *t, __u64 start)
{
	__u64 frozen = atomic_load(&t->ctx->frozen_ns);

	if (!frozen)
		t->ring[t->nring++ % LOAD_RING] = start;
	else if (start > frozen)
		t->late++;
	atomic_fetch_add_explicit(&t->ok, 1, memory_order_relaxed);
}

static void *load_worker(void *arg)
{
	struct load_thread *t = arg;
	struct load_ctx *ctx = t->ctx;
	__u32 key = t->idx * LOAD_ENTRIES / 2;
	__u64 start, frozen;
	int err;

	pin_self(t->idx);
	while (!atomic_load_explicit(&ctx->stop, memory_order_relaxed)) {
		start = now_ns();
		err = map_update(ctx->fd, key, start);
		if (!err)
			load_note_ok(t, start);
		else if (err != -EPERM)	/* EPERM: map already frozen */
			fail("BPF_MAP_UPDATE_ELEM under load: %s",
			     strerror(-err));
		frozen = atomic_load(&ctx->frozen_ns);
		if (frozen && start > frozen)
			atomic_fetch_add_explicit(&t->post, 1,
						  memory_order_relaxed);
		key = (key + 1) % LOAD_ENTRIES;
	}
	return NULL;
}

/* Poll until every thread's @field reaches @min; fail after a long time. */
static void load_wait(struct load_thread *th, bool post, unsigned long min)
{
	__u64 deadline = now_ns() + WAIT_TIMEOUT_NS;
	int i;

	for (i = 0; i < 2; i++) {
		atomic_ulong *cnt = post ? &th[i].post : &th[i].ok;

		/* Sleep, not spin: the two hammers own the two CPUs. */
		while (atomic_load(cnt) < min) {
			if (now_ns() > deadline)
				fail("freeze_load: thread %d stuck at %lu %s",
				     i, atomic_load(cnt),
				     post ? "post-freeze attempts" : "updates");
			sleep_ns(50000);
		}
	}
}

struct load_result {
	bool first_ok;
	__u64 first_ns;
	__u64 frozen_ns;
	int attempts;
	__u64 late;
};

/*
 * Freeze until it succeeds. Upstream fails with EBUSY while a syscall
 * writer is in flight, so retry without sleeping, as a user would have to.
 */
static void load_freeze(struct load_ctx *ctx, struct load_result *r)
{
	__u64 start, t1;
	int err;

	start = now_ns();
	for (r->attempts = 1; ; r->attempts++) {
		err = map_freeze(ctx->fd);
		t1 = now_ns();
		if (r->attempts == 1) {
			r->first_ok = !err;
			r->first_ns = t1 - start;
		}
		if (!err)
			break;
		if (err != -EBUSY)
			fail("BPF_MAP_FREEZE under load: %s", strerror(-err));
		if (t1 - start > WAIT_TIMEOUT_NS)
			fail("BPF_MAP_FREEZE still EBUSY after %d attempts",
			     r->attempts);
	}
	atomic_store(&ctx->frozen_ns, t1);
	r->frozen_ns = t1 - start;
}

static void load_trial(struct load_result *r)
{
	struct load_ctx ctx;
	struct load_thread th[2];
	__u64 frozen;
	unsigned long j;
	int i;

	ctx.fd = map_create(BPF_MAP_TYPE_ARRAY, LOAD_ENTRIES);
	atomic_init(&ctx.stop, false);
	atomic_init(&ctx.frozen_ns, 0);
	for (i = 0; i < 2; i++) {
		memset(&th[i], 0, sizeof(th[i]));
		th[i].ctx = &ctx;
		th[i].idx = i;
		start_thread(&th[i].tid, load_worker, &th[i]);
	}
	load_wait(th, false, LOAD_WARMUP_OPS);
	load_freeze(&ctx, r);
	load_wait(th, true, LOAD_POST_OPS);
	atomic_store(&ctx.stop, true);

	frozen = atomic_load(&ctx.frozen_ns);
	r->late = 0;
	for (i = 0; i < 2; i++) {
		pthread_join(th[i].tid, NULL);
		r->late += th[i].late;
		for (j = 0; j < th[i].nring && j < LOAD_RING; j++)
			r->late += th[i].ring[j] > frozen;
	}
	close(ctx.fd);
}

static void group_freeze_load(void)
{
	int n = env_int("BENCH_LOAD_TRIALS", 200);
	__u64 *first = calloc(n, sizeof(*first));
	__u64 *frozen = calloc(n, sizeof(*frozen));
	struct load_result r;
	int i, first_ok = 0, attempts_max = 0;
	__u64 late = 0;

	if (!first || !frozen)
		fail("out of memory");
	printf("# freeze_load: %d trials, 2 writers on cpus %d,%d\n", n,
	       bench_cpu[0], bench_cpu[1]);
	for (i = 0; i < n; i++) {
		load_trial(&r);
		first_ok += r.first_ok;
		first[i] = r.first_ns;
		frozen[i] = r.frozen_ns;
		if (r.attempts > attempts_max)
			attempts_max = r.attempts;
		late += r.late;
	}
	printf("bench freeze_load_first_try_pct %.1f\n", 100.0 * first_ok / n);
	print_percentiles("freeze_load_first_ns", first, n);
	print_percentiles("freeze_load_frozen_ns", frozen, n);
	printf("bench freeze_load_attempts_max %d\n", attempts_max);
	printf("bench freeze_load_late_writes %llu\n", (unsigned long long)late);
	free(first);
	free(frozen);
}

/* ---- 4. instruction counts ------------------------------------------ */

/*
 * A mark is the no-op "nopl 0x5a52MMMM(%rax)", which bench/qemu/insn_marks.c
 * recognizes: MMMM = 2 * region at the beginning of a region, 2 * region + 1
 * at its end. The plugin counts the instructions the guest's one CPU runs in
 * between, the syscall's and any interrupt's alike.
 */
#define INSN_MARK(m) \
	asm volatile(".byte 0x0f, 0x1f, 0x80\n\t.long %c0" \
		     : : "i"(0x5a520000 | (m)) : "memory")
#define INSN_COUNT(region, call)					\
	({								\
		int __err;						\
									\
		INSN_MARK(2 * (region));				\
		__err = (call);						\
		INSN_MARK(2 * (region) + 1);				\
		__err;							\
	})

enum {
	INSN_UPDATE_ARRAY,	/* BPF_MAP_UPDATE_ELEM, array, existing key */
	INSN_UPDATE_HASH,	/* the same on a full hash map */
	INSN_LOOKUP_ARRAY,	/* BPF_MAP_LOOKUP_ELEM: a path no kernel changes */
	INSN_FREEZE_IDLE,	/* BPF_MAP_FREEZE of an array no one writes */
	INSN_UPDATE_UNFREEZABLE, /* update of an array freeze refuses */
};

#define ENOTSUPP	524	/* the kernel's, which BPF_MAP_FREEZE returns */

static void group_insn(void)
{
	static const char *const names[] = {
		[INSN_UPDATE_ARRAY] = "update_array",
		[INSN_UPDATE_HASH] = "update_hash",
		[INSN_LOOKUP_ARRAY] = "lookup_array",
		[INSN_FREEZE_IDLE] = "freeze_idle",
		[INSN_UPDATE_UNFREEZABLE] = "update_unfreezable",
	};
	int n = env_int("BENCH_INSN_N", 5000);
	int nfreeze = env_int("BENCH_FREEZE_N", 200);
	int fa = map_create(BPF_MAP_TYPE_ARRAY, UPDATE_ENTRIES);
	int fh = map_create(BPF_MAP_TYPE_HASH, UPDATE_ENTRIES);
	int fu = map_create_unfreezable(UPDATE_ENTRIES);
	__u32 key;
	__u64 val;
	int i, fd, err;

	for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		printf("bench insn_region_%d %s\n", i, names[i]);
	/* Prefill, so hash updates replace elements instead of inserting. */
	for (key = 0; key < UPDATE_ENTRIES; key++) {
		err = map_update(fh, key, 0);
		if (err)
			fail("prefill hash key %u: %s", key, strerror(-err));
	}
	/* What makes it unfreezable, on every kernel. */
	err = map_freeze(fu);
	if (err != -ENOTSUPP)
		fail("insn: BPF_MAP_FREEZE of the array with a bpf_spin_lock: %d, expected %d",
		     err, -ENOTSUPP);
	printf("# insn: %d updates and lookups, %d freezes\n", n, nfreeze);
	/* Interleaved, so that interrupts fall on each kind alike. */
	for (i = 0; i < n; i++) {
		key = i % UPDATE_ENTRIES;
		err = INSN_COUNT(INSN_UPDATE_ARRAY, map_update(fa, key, i));
		if (!err)
			err = INSN_COUNT(INSN_UPDATE_HASH, map_update(fh, key, i));
		if (!err)
			err = INSN_COUNT(INSN_LOOKUP_ARRAY, map_lookup(fa, key, &val));
		if (!err)
			err = INSN_COUNT(INSN_UPDATE_UNFREEZABLE, map_update(fu, key, i));
		if (err)
			fail("insn: map operation %d: %s", i, strerror(-err));
	}
	for (i = 0; i < nfreeze; i++) {
		fd = map_create(BPF_MAP_TYPE_ARRAY, IDLE_ENTRIES);
		err = INSN_COUNT(INSN_FREEZE_IDLE, map_freeze(fd));
		if (err)
			fail("insn: BPF_MAP_FREEZE: %s", strerror(-err));
		close(fd);
	}
	close(fa);
	close(fh);
	close(fu);
}

/* ---- main ------------------------------------------------------------ */

static const struct group {
	const char *name;
	void (*run)(void);
} groups[] = {
	{ "update", group_update },
	{ "freeze_idle", group_freeze_idle },
	{ "freeze_load", group_freeze_load },
	{ "insn", group_insn },
};

#define NR_GROUPS (int)(sizeof(groups) / sizeof(groups[0]))
/* Run without arguments: all but the last, insn, which needs 1 CPU. */
#define NR_DEFAULT_GROUPS (NR_GROUPS - 1)

/* Pick the first two CPUs we may run on; the guest has exactly 0 and 1. */
static void pick_cpus(void)
{
	cpu_set_t set;
	int cpu, n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		fail("sched_getaffinity: %s", strerror(errno));
	for (cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++)
		if (CPU_ISSET(cpu, &set))
			bench_cpu[n++] = cpu;
	if (n < 2)
		fail("need 2 CPUs in the affinity mask");
}

static const struct group *find_group(const char *name)
{
	int i;

	for (i = 0; i < NR_GROUPS; i++)
		if (!strcmp(groups[i].name, name))
			return &groups[i];
	fail("unknown group '%s' (expected update, freeze_idle, freeze_load or insn)",
	     name);
}

int main(int argc, char **argv)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int i;

	/* Line-buffered: the guest console should show progress as it goes. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	printf("bench cpus_online %ld\n", cpus);
	/* Check the names before spending minutes on the first group. */
	for (i = 1; i < argc; i++)
		find_group(argv[i]);

	if (argc == 2 && !strcmp(argv[1], "insn")) {
		/* The plugin counts one CPU's instructions: no other may run. */
		if (cpus != 1)
			fail("insn: needs exactly 1 CPU online, not %ld", cpus);
		group_insn();
		return 0;
	}
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "insn"))
			fail("insn runs alone, on a 1-CPU guest");
	if (cpus < 2)
		fail("need 2 CPUs online");
	pick_cpus();

	if (argc < 2) {
		for (i = 0; i < NR_DEFAULT_GROUPS; i++)
			groups[i].run();
	} else {
		for (i = 1; i < argc; i++)
			find_group(argv[i])->run();
	}
	return 0;
}
