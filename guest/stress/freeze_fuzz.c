// SPDX-License-Identifier: GPL-2.0
/*
 * freeze_fuzz - attribute fuzzer for BPF_MAP_FREEZE, with the target maps
 * written, memory-mapped, unmapped, closed and recreated by other threads.
 *
 * Every call gets random attr bytes, a random size and a random pointer
 * (unaligned, NULL, unmapped, straddling into an unreadable page). For each
 * call the errno is predicted from the input, following upstream v6.12
 * (kernel/bpf/syscall.c of the base tree) in upstream's order of checks:
 *
 *  1. size > PAGE_SIZE                      -> E2BIG   bpf_check_uarg_tail_zero()
 *  2. size > sizeof(union bpf_attr): the tail [sizeof, size) is scanned in
 *     order; an unreadable byte first       -> EFAULT  check_zeroed_user()
 *     a non-zero byte first                 -> E2BIG   bpf_check_uarg_tail_zero()
 *  3. any of the min(size, sizeof) bytes copied unreadable
 *                                           -> EFAULT  __sys_bpf(): copy_from_bpfptr()
 *     (size 0 copies nothing: the attr is all zero, map_fd is fd 0)
 *  4. a non-zero byte of the union after map_fd
 *                                           -> EINVAL  map_freeze(): CHECK_ATTR()
 *  5. map_fd not an open fd (negative, large, closed)
 *                                           -> EBADF   __bpf_map_get()
 *  6. map_fd open but not a map (prog, BTF, link, pipe, eventfd, netns, /dev/null)
 *                                           -> EINVAL  __bpf_map_get()
 *  7. map with special fields (spin lock)   -> ENOTSUPP map_freeze()
 *  8. fd without FMODE_CAN_WRITE (BPF_F_RDONLY), or map already frozen
 *                                           -> EPERM   map_freeze(): map_get_sys_perms()
 *  9. map memory-mapped writable            -> EBUSY   map_freeze(): bpf_map_write_active()
 * 10. otherwise                             -> 0, and the map is frozen from then on
 *
 * Upstream also returns EBUSY when a syscall writer (update, delete, ...) of
 * the map is in flight (bpf_map_write_active()); the patched kernel waits for
 * it instead. So EBUSY for a freeze that overlapped a writer is accepted only
 * with FREEZE_UPSTREAM=1 (category race_writer); otherwise the exact errno is
 * required. Other races are counted apart with their documented sets:
 *
 *  race_fd:   the fd number was closed and maybe reused (by a recreated map)
 *             during the call: {0, EBADF, EPERM, EBUSY}
 *  race_mmap: a writable mmap()/munmap() of the map overlapped the call, map
 *             not frozen: {0, EBUSY}
 *
 * sizeof(union bpf_attr) is probed from the kernel (the first offset where a
 * non-zero byte gives E2BIG rather than CHECK_ATTR's EINVAL) and used in the
 * model; it must equal the header's unless FREEZE_UPSTREAM=1 (a newer host
 * kernel has a larger union: 6.18 has 168 bytes, 6.12 152).
 *
 * Targets of map_fd: maps that the worker threads recreate (array, mmapable
 * arrays, one BPF_F_RDONLY_PROG, hashes), each through its rw fd and through
 * read-only and write-only fds from BPF_MAP_GET_FD_BY_ID; static maps (one
 * created BPF_F_RDONLY, one frozen, one mmapped writable for good, one with a
 * bpf_spin_lock from a BTF blob, read-only fds of some); fds that are not
 * maps (/dev/null on fd 0, stdout, stderr, a socket filter program, the BTF
 * object, a flow dissector link on a private netns, a pipe, an eventfd, the
 * netns); a closed fd, never-opened fds, negative and large numbers.
 *
 * Workers (their errnos are checked too, test fuzz_workers_errnos_expected):
 * a closer recreates maps (mostly frozen ones, so that freezes keep
 * succeeding), an mmapper maps them writable and read-only (a read-only
 * MAP_SHARED mmap through an O_RDONLY fd is EINVAL, bpf_map_mmap() seeing no
 * VM_SHARED; any mmap through an O_WRONLY fd EACCES, do_mmap()) and unmaps
 * them, two writers update, delete, lookup-and-delete and batch-update.
 *
 * Env: FUZZ_CALLS (default 1000000), FUZZ_SEED (default 0x5eed0f1ee2e),
 * FREEZE_UPSTREAM=1 (an unpatched kernel: accept upstream's EBUSY for
 * freezes racing writers, and a union bpf_attr larger than the header's).
 *
 * FUZZ_SERIAL=1 (guest test freeze_fuzz_serial): the serial mode, with no
 * worker thread. For each of a few fixed seeds (or FUZZ_SEED alone), a child
 * process sets up the same fd table and makes FUZZ_CALLS (default 5000)
 * freezes; between two of them, it now and then recreates a slot's map
 * itself (the fds come back with the same numbers) or maps an mmapable slot
 * writable or unmaps it. Every errno is then exact, and the sequence of
 * errnos a pure function of the seed: the outcome table it prints,
 *
 *   # fuzz_table seed=0x5eed0f1ee2e errno=EPERM count=1234
 *
 * one line per errno (ok for a success), sorted by name, must be the same on
 * every kernel that follows the model, whichever handler it runs (the host
 * compares the Rust handler's with the C one's: scripts/fuzz-compare.py).
 * One result per seed: every errno as predicted, every call made.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/bpf.h>
#include <linux/btf.h>

#include "kselftest.h"
#include "stress.h"

#define DEFAULT_CALLS	1000000ULL
#define DEFAULT_SEED	0x5eed0f1ee2eULL
#define FDTAB		1024	/* fds tracked; ours stay far below */
#define CLOSED_FD	900	/* dup2()ed to, then closed: never reused */
#define NSLOTS		6
#define NROLES		3
#define MAX_REPORTS	10
#define MAXREC		16
#define MAPFD_END	(offsetof(union bpf_attr, map_fd) + sizeof(__u32))
#define SERIAL_CALLS	5000ULL
#define SERIAL_TIMEOUT	120	/* s per seed: a freeze that hangs fails */

static long page;
static size_t attr_size;	/* the kernel's sizeof(union bpf_attr), probed */
static bool upstream;		/* FREEZE_UPSTREAM=1 */

/* ---------------------------------------------------------------- utils */

static atomic_uint worker_violations;

static __printf(1, 2) void worker_violation(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(&worker_violations, MAX_REPORTS, "# worker: ", fmt, ap);
	va_end(ap);
}

static atomic_int stop;
static char fatal_msg[256];
static atomic_int fatal;

static __printf(1, 2) void set_fatal(const char *fmt, ...)
{
	va_list ap;

	if (atomic_exchange(&fatal, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(fatal_msg, sizeof(fatal_msg), fmt, ap);
	va_end(ap);
	atomic_store(&stop, 1);
}

/* ------------------------------------------------------------ bpf calls */

static int map_id(int fd, __u32 *id)
{
	struct bpf_map_info info;
	union bpf_attr a;

	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = fd;
	a.info.info_len = sizeof(info);
	a.info.info = (__u64)(uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a)))
		return -1;
	*id = info.id;
	return 0;
}

static int map_fd_by_id(int fd, __u32 open_flags)
{
	union bpf_attr a;
	__u32 id;

	if (map_id(fd, &id))
		return -1;
	memset(&a, 0, sizeof(a));
	a.map_id = id;
	a.open_flags = open_flags;
	return sys_bpf(BPF_MAP_GET_FD_BY_ID, &a, sizeof(a));
}

#define BATCH	8

/* keys k0 .. k0 + BATCH - 1: the writer stays in flight a while */
static int map_update_batch(int fd, __u32 k0, __u64 v)
{
	__u32 keys[BATCH], count = BATCH;
	__u64 vals[BATCH];
	union bpf_attr a;
	int err;

	for (int k = 0; k < BATCH; k++) {
		keys[k] = k0 + k;
		vals[k] = v + k;
	}

	memset(&a, 0, sizeof(a));
	a.batch.map_fd = fd;
	a.batch.keys = (__u64)(uintptr_t)keys;
	a.batch.values = (__u64)(uintptr_t)vals;
	a.batch.count = count;
	err = bpf_err(sys_bpf(BPF_MAP_UPDATE_BATCH, &a, sizeof(a)));
	if (!err && a.batch.count != BATCH)
		return -1000;	/* reported as a wrong count */
	return err;
}

/* r0 = 0; exit */
static int prog_load(__u32 type, __u32 expected_attach_type)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.expected_attach_type = expected_attach_type;
	a.insns = (__u64)(uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (__u64)(uintptr_t)"GPL";
	return sys_bpf(BPF_PROG_LOAD, &a, sizeof(a));
}

/*
 * [1] int, [2] struct bpf_spin_lock { int val; },
 * [3] struct map_value { int cnt; struct bpf_spin_lock l; }
 */
static int btf_load(void)
{
	static const char strs[] = "\0int\0bpf_spin_lock\0val\0cnt\0l\0map_value";
	static const __u32 types[] = {
		1, BTF_KIND_INT << 24, 4, (BTF_INT_SIGNED << 24) | 32,
		5, (BTF_KIND_STRUCT << 24) | 1, 4,
			19, 1, 0,
		29, (BTF_KIND_STRUCT << 24) | 2, 8,
			23, 1, 0,
			27, 2, 32,
	};
	char blob[sizeof(struct btf_header) + sizeof(types) + sizeof(strs)];
	struct btf_header hdr = {
		.magic = BTF_MAGIC,
		.version = 1,
		.hdr_len = sizeof(hdr),
		.type_off = 0,
		.type_len = sizeof(types),
		.str_off = sizeof(types),
		.str_len = sizeof(strs),
	};
	static char log[4096];
	union bpf_attr a;
	int fd;

	memcpy(blob, &hdr, sizeof(hdr));
	memcpy(blob + sizeof(hdr), types, sizeof(types));
	memcpy(blob + sizeof(hdr) + sizeof(types), strs, sizeof(strs));
	memset(&a, 0, sizeof(a));
	a.btf = (__u64)(uintptr_t)blob;
	a.btf_size = sizeof(blob);
	fd = sys_bpf(BPF_BTF_LOAD, &a, sizeof(a));
	if (fd >= 0)
		return fd;
	a.btf_log_buf = (__u64)(uintptr_t)log;
	a.btf_log_size = sizeof(log);
	a.btf_log_level = 1;
	fd = sys_bpf(BPF_BTF_LOAD, &a, sizeof(a));
	ksft_print_msg("BPF_BTF_LOAD: %s; log: %s\n", strerror(errno), log);
	return fd;
}

/* -------------------------------------------------------- tracked state */

enum { K_NONE, K_NOTMAP, K_SMAP, K_SLOT };
enum { R_RW, R_RO, R_WO };
static const char *const role_name[NROLES] = { "rw", "ro", "wo" };

struct fdent {
	uint8_t kind, idx, role;
};

/* map state of a static map: only the fuzzer touches these */
struct mstate {
	bool special, frozen;
	int wmmaps;
};

struct smap {
	const char *name;
	int fd;
	bool ro;
	struct mstate *st;
};

static const struct slotcfg {
	__u32 type, flags, max;
	bool mmapable;
	const char *name;
} slotcfg[NSLOTS] = {
	{ BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, 1024, true, "mmap_array0" },
	{ BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, 1024, true, "mmap_array1" },
	{ BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE | BPF_F_RDONLY_PROG, 1024, true,
	  "mmap_array_rdonly_prog" },
	{ BPF_MAP_TYPE_HASH, 0, 64, false, "hash" },
	{ BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC, 64, false, "hash_noprealloc" },
	{ BPF_MAP_TYPE_ARRAY, 0, 16, false, "array" },
};

/*
 * A map that the workers write, mmap, close and recreate. Everything below
 * op is under bk. Counters are bumped at the start and at the end of an
 * operation, so an unchanged counter over a freeze call means none of that
 * operation overlapped it.
 */
struct slot {
	pthread_mutex_t op;	/* serializes recreate / mmap / munmap */
	int fd[NROLES];
	unsigned int gen;
	bool frozen;		/* the current map is frozen (confirmed) */
	bool maybe_frozen;	/* a racy freeze may have frozen it */
	int wmmaps;		/* writable mappings of the current map */
	unsigned long rc;	/* recreate events */
	int ri;			/* recreate in flight */
	unsigned long mc;	/* mmap / munmap events */
	int mi;			/* mmap / munmap in flight */
	unsigned long we;	/* syscall writer events */
	int wi;			/* syscall writers in flight */
	int fz_inflight;	/* a fuzzer freeze aimed at this slot */
	unsigned long recreations;
};

static pthread_mutex_t bk = PTHREAD_MUTEX_INITIALIZER;
static struct fdent fdtab[FDTAB];
static unsigned long fd_changes;	/* fd close/allocation events */
static int fd_inflight;
static int fz_inflight;			/* a fuzzer freeze in flight */
static bool fz_uncertain;		/* ... whose target may change */
static unsigned long fz_fdc_pre;	/* fd_changes when it started */
static struct slot slots[NSLOTS];
static unsigned long state_violations;

static const char *notmap_name[] = {
	"dev_null_fd0", "stdout", "stderr", "prog", "btf", "link", "pipe_r",
	"pipe_w", "eventfd", "netns",
};
#define NNOTMAP ARRAY_SIZE(notmap_name)
static int notmap_fd[NNOTMAP];

static struct mstate ms_plain, ms_rdonly, ms_frozen, ms_wmmap, ms_spin;
static struct smap smaps[] = {
	{ "plain_rw", -1, false, &ms_plain },
	{ "plain_ro_by_id", -1, true, &ms_plain },
	{ "plain_wo_by_id", -1, false, &ms_plain },
	{ "created_rdonly", -1, true, &ms_rdonly },
	{ "frozen", -1, false, &ms_frozen },
	{ "wmmapped", -1, false, &ms_wmmap },
	{ "wmmapped_ro_by_id", -1, true, &ms_wmmap },
	{ "spin_lock", -1, false, &ms_spin },
	{ "spin_lock_ro_by_id", -1, true, &ms_spin },
};
#define NSMAP ARRAY_SIZE(smaps)
static const char *link_how = "none";

static void fdtab_set(int fd, uint8_t kind, uint8_t idx, uint8_t role)
{
	if (fd < 0 || fd >= FDTAB) {
		set_fatal("fd %d outside the tracked table", fd);
		return;
	}
	fdtab[fd] = (struct fdent){ kind, idx, role };
}

/* state consistency, under bk, when no mmap op is in flight */
static void check_slot(struct slot *sl, const char *when)
{
	if (sl->mi || !sl->frozen || !sl->wmmaps)
		return;
	state_violations++;
	if (state_violations <= MAX_REPORTS)
		ksft_print_msg("%s: slot %s gen %u frozen with %d writable mmaps\n",
			       when, slotcfg[sl - slots].name, sl->gen,
			       sl->wmmaps);
}

/*
 * A worker got EPERM from a write on a slot whose tracked state says not
 * frozen: fine if a freeze that may have hit this map is in flight or
 * unresolved. Under bk.
 */
static bool eperm_explained(struct slot *sl)
{
	return sl->frozen || sl->maybe_frozen || sl->fz_inflight ||
	       (fz_inflight && (fz_uncertain || fd_changes != fz_fdc_pre));
}

/* --------------------------------------------------------- slot create */

static int slot_open(int i, int fd[NROLES])
{
	const struct slotcfg *c = &slotcfg[i];

	fd[R_RW] = map_create(c->type, c->max, c->flags);
	if (fd[R_RW] < 0)
		return -1;
	fd[R_RO] = map_fd_by_id(fd[R_RW], BPF_F_RDONLY);
	fd[R_WO] = map_fd_by_id(fd[R_RW], BPF_F_WRONLY);
	if (fd[R_RO] < 0 || fd[R_WO] < 0)
		return -1;
	return 0;
}

/* ---------------------------------------------------------- the workers */

struct wcount {
	unsigned long ops, ok, eperm, ebadf, enoent, einval, eacces, races;
};

static void wcount_add(struct wcount *w, int err)
{
	w->ops++;
	switch (err) {
	case 0: w->ok++; break;
	case EPERM: w->eperm++; break;
	case EBADF: w->ebadf++; break;
	case ENOENT: w->enoent++; break;
	case EINVAL: w->einval++; break;
	case EACCES: w->eacces++; break;
	}
}

static struct wcount closer_cnt, mmapper_cnt, writer_cnt[2];
static uint64_t seed;

/* closes a slot's three fds and recreates its map */
static void *closer(void *arg)
{
	struct rng r;

	(void)arg;
	rng_seed(&r, seed ^ 0xc105e);
	while (!atomic_load(&stop)) {
		int i = rnd_below(&r, NSLOTS), nfd[NROLES], old[NROLES];
		struct slot *sl;

		/* mostly a frozen one, so that freezes keep succeeding */
		pthread_mutex_lock(&bk);
		for (int k = 0, j = rnd_below(&r, NSLOTS); k < NSLOTS; k++)
			if (slots[(j + k) % NSLOTS].frozen && rnd_below(&r, 4)) {
				i = (j + k) % NSLOTS;
				break;
			}
		pthread_mutex_unlock(&bk);
		sl = &slots[i];
		pthread_mutex_lock(&sl->op);
		pthread_mutex_lock(&bk);
		sl->ri = 1;
		sl->rc++;
		fd_inflight++;
		fd_changes++;
		memcpy(old, sl->fd, sizeof(old));
		pthread_mutex_unlock(&bk);

		for (int k = 0; k < NROLES; k++)
			if (close(old[k]))
				set_fatal("close(%d): %s", old[k], strerror(errno));
		if (slot_open(i, nfd))
			set_fatal("recreate %s: %s", slotcfg[i].name,
				  strerror(errno));

		pthread_mutex_lock(&bk);
		for (int k = 0; k < NROLES; k++)
			fdtab_set(old[k], K_NONE, 0, 0);
		for (int k = 0; k < NROLES; k++) {
			sl->fd[k] = nfd[k];
			fdtab_set(nfd[k], K_SLOT, i, k);
		}
		sl->gen++;
		/*
		 * Not maybe_frozen: a racing freeze may have hit the new
		 * map already; the fuzzer's resolve_slots() clears it.
		 */
		sl->frozen = false;
		sl->wmmaps = 0;
		sl->rc++;
		sl->ri = 0;
		sl->recreations++;
		fd_changes++;
		fd_inflight--;
		pthread_mutex_unlock(&bk);
		pthread_mutex_unlock(&sl->op);
		closer_cnt.ops++;
		pause_us(50 + rnd_below(&r, 200));
	}
	return NULL;
}

struct mrec {
	void *addr;
	int slot;
	unsigned int gen;
	bool writable;
};

static void do_munmap(struct mrec *m, struct rng *r)
{
	struct slot *sl = &slots[m->slot];

	pthread_mutex_lock(&sl->op);
	pthread_mutex_lock(&bk);
	sl->mi = 1;
	sl->mc++;
	pthread_mutex_unlock(&bk);
	if (m->writable)	/* the mapping is still writable here */
		((volatile __u64 *)m->addr)[rnd_below(r, 1024)] = rnd(r);
	if (munmap(m->addr, 2 * page))
		worker_violation("munmap: %s\n", strerror(errno));
	pthread_mutex_lock(&bk);
	if (m->writable && m->gen == sl->gen)
		sl->wmmaps--;
	sl->mc++;
	sl->mi = 0;
	check_slot(sl, "after munmap");
	pthread_mutex_unlock(&bk);
	pthread_mutex_unlock(&sl->op);
	mmapper_cnt.ops++;
}

/* mmaps (writable through the rw fd, read-only through the ro fd) and unmaps */
static void *mmapper(void *arg)
{
	struct mrec rec[MAXREC];
	int nrec = 0;
	struct rng r;

	(void)arg;
	rng_seed(&r, seed ^ 0x3a99e7);
	while (!atomic_load(&stop)) {
		if (nrec && (nrec == MAXREC || rnd_below(&r, 2))) {
			int k = rnd_below(&r, nrec);

			do_munmap(&rec[k], &r);
			rec[k] = rec[--nrec];
		} else {
			int i = rnd_below(&r, 3);	/* the mmapable slots */
			int x = rnd_below(&r, 20), role, fd, err, exp;
			bool w = x < 11, frozen0;
			struct slot *sl = &slots[i];
			unsigned int gen;
			void *p;

			/* mostly through the rw fd; the ro and wo fds fail */
			role = x < 10 ? R_RW : x < 11 ? R_WO : x < 17 ? R_RW :
			       x < 19 ? R_RO : R_WO;
			pthread_mutex_lock(&sl->op);
			pthread_mutex_lock(&bk);
			sl->mi = 1;
			sl->mc++;
			fd = sl->fd[role];
			gen = sl->gen;
			frozen0 = sl->frozen;
			pthread_mutex_unlock(&bk);
			p = mmap(NULL, 2 * page,
				 w ? PROT_READ | PROT_WRITE : PROT_READ,
				 MAP_SHARED, fd, 0);
			err = p == MAP_FAILED ? errno : 0;
			if (!err && w)
				((volatile __u64 *)p)[rnd_below(&r, 1024)] = rnd(&r);
			else if (!err)
				(void)((volatile __u64 *)p)[rnd_below(&r, 1024)];
			/*
			 * do_mmap(): PROT_WRITE needs FMODE_WRITE (EACCES), any
			 * mmap FMODE_READ (EACCES); a MAP_SHARED mapping of a
			 * file without FMODE_WRITE loses VM_SHARED, which
			 * bpf_map_mmap() refuses (EINVAL). bpf_map_mmap(),
			 * writable: frozen (EPERM) before BPF_F_RDONLY_PROG
			 * (EACCES).
			 */
			if (role == R_WO || (role == R_RO && w))
				exp = EACCES;
			else if (role == R_RO)
				exp = EINVAL;
			else if (!w)
				exp = 0;
			else if (frozen0)
				exp = EPERM;
			else if (slotcfg[i].flags & BPF_F_RDONLY_PROG)
				exp = EACCES;
			else
				exp = 0;
			pthread_mutex_lock(&bk);
			wcount_add(&mmapper_cnt, err);
			/* frozen by the fuzzer meanwhile */
			if (err == EPERM && exp != EPERM && w && role == R_RW &&
			    eperm_explained(sl))
				exp = EPERM;
			if (err != exp)
				worker_violation("%s mmap of %s via %s fd (%s): expected %s, got %s\n",
						 w ? "writable" : "read-only",
						 slotcfg[i].name, role_name[role],
						 frozen0 ? "frozen" : "not frozen",
						 ename(exp), ename(err));
			if (!err && w) {
				sl->wmmaps++;
				if (sl->frozen)
					worker_violation("writable mmap of frozen %s succeeded\n",
							 slotcfg[i].name);
			}
			sl->mc++;
			sl->mi = 0;
			check_slot(sl, "after mmap");
			pthread_mutex_unlock(&bk);
			pthread_mutex_unlock(&sl->op);
			if (!err)
				rec[nrec++] = (struct mrec){ p, i, gen, w };
		}
		pause_us(50 + rnd_below(&r, 150));
	}
	while (nrec)
		do_munmap(&rec[--nrec], &r);
	return NULL;
}

enum { OP_UPDATE, OP_DELETE, OP_LAD, OP_BATCH, NOPS };
static const char *const op_name[NOPS] = {
	"update", "delete", "lookup_and_delete", "update_batch",
};

/* syscall writers: the errno must follow the tracked state */
static void *writer(void *arg)
{
	struct wcount *cnt = arg;
	struct rng r;

	rng_seed(&r, seed ^ (0x771e + (cnt - writer_cnt)));
	while (!atomic_load(&stop)) {
		for (int burst = 0; burst < 16 && !atomic_load(&stop); burst++) {
			int i = rnd_below(&r, NSLOTS), x = rnd_below(&r, 20);
			int role = x < 14 ? R_RW : x < 17 ? R_WO : R_RO;
			bool hash = slotcfg[i].type == BPF_MAP_TYPE_HASH;
			int op = rnd_below(&r, NOPS), fd, err, exp[3], nexp = 0;
			struct slot *sl = &slots[i];
			unsigned long rc0;
			bool frozen0, race, ok = false;
			__u32 key = rnd_below(&r, 8);

			if (op == OP_LAD && !hash)
				op = OP_UPDATE;
			pthread_mutex_lock(&bk);
			if (sl->frozen) {	/* rather a map not frozen yet */
				i = rnd_below(&r, NSLOTS);
				sl = &slots[i];
				hash = slotcfg[i].type == BPF_MAP_TYPE_HASH;
				if (op == OP_LAD && !hash)
					op = OP_UPDATE;
			}
			fd = sl->fd[role];
			rc0 = sl->rc;
			race = sl->ri;
			frozen0 = sl->frozen;
			sl->wi++;
			sl->we++;
			pthread_mutex_unlock(&bk);

			switch (op) {
			case OP_UPDATE:
				err = map_update(fd, key, rnd(&r));
				break;
			case OP_DELETE:
				err = map_delete(fd, key);
				break;
			case OP_LAD:
				err = map_lookup_and_delete(fd, key);
				break;
			default:
				err = map_update_batch(fd, key, rnd(&r));
				break;
			}

			pthread_mutex_lock(&bk);
			sl->we++;
			sl->wi--;
			race |= sl->ri || sl->rc != rc0;
			wcount_add(cnt, err);
			if (race) {
				/* the fd may be closed or be another map now */
				cnt->races++;
				ok = err == 0 || err == EPERM || err == EBADF ||
				     err == ENOENT || err == EINVAL;
			} else {
				/* the errno before the map's write permission */
				if (role == R_RO || (op == OP_LAD && role == R_WO) ||
				    frozen0)
					exp[nexp++] = EPERM;
				else if (op == OP_DELETE && !hash)
					exp[nexp++] = EINVAL;
				else if (op == OP_DELETE || op == OP_LAD) {
					exp[nexp++] = 0;
					exp[nexp++] = ENOENT;
				} else {
					exp[nexp++] = 0;
				}
				for (int k = 0; k < nexp; k++)
					ok |= err == exp[k];
				/* frozen meanwhile (by the fuzzer) */
				if (!ok && err == EPERM && exp[0] != EPERM &&
				    eperm_explained(sl))
					ok = true;
			}
			pthread_mutex_unlock(&bk);
			if (!ok)
				worker_violation("%s via %s fd of %s (%s): got %s\n",
						 op_name[op], role_name[role],
						 slotcfg[i].name,
						 frozen0 ? "frozen" : "not frozen",
						 ename(err));
		}
		pause_us(20 + rnd_below(&r, 60));
	}
	return NULL;
}

/* ------------------------------------------------------------ the fuzzer */

enum cls {
	C_OK, C_E2BIG_SIZE, C_E2BIG_TAIL, C_EFAULT_TAIL, C_EFAULT_COPY,
	C_EINVAL_ATTR, C_EBADF, C_EINVAL_NOTMAP, C_ENOTSUPP, C_EPERM_RO,
	C_EPERM_FROZEN, C_EBUSY_MMAP, NCLS, C_FD = NCLS,
};
static const char *const cls_name[NCLS] = {
	"ok_first_freeze", "E2BIG_size_over_page", "E2BIG_nonzero_tail",
	"EFAULT_tail_unreadable", "EFAULT_copy", "EINVAL_check_attr",
	"EBADF_bad_fd", "EINVAL_not_a_map", "ENOTSUPP_special_fields",
	"EPERM_readonly_fd", "EPERM_frozen", "EBUSY_writable_mmap",
};
static const int cls_errno[NCLS] = {
	0, E2BIG, E2BIG, EFAULT, EFAULT, EINVAL, EBADF, EINVAL, ENOTSUPP,
	EPERM, EPERM, EBUSY,
};

enum cat { CAT_EXACT, CAT_RACE_FD, CAT_RACE_MMAP, CAT_RACE_WRITER, NCAT };
static const char *const cat_name[NCAT] = {
	"exact", "race_fd", "race_mmap", "race_writer_upstream",
};

enum { SZ_ZERO, SZ_SHORT, SZ_EXACT, SZ_MID, SZ_UNION, SZ_TAIL0, SZ_TAILNZ,
       SZ_HUGE, NSZ };
static const char *const sz_name[NSZ] = {
	"0", "short", "offsetofend_map_fd", "between", "sizeof_union",
	"larger_zero_tail", "larger_nonzero_tail", "over_page",
};
enum { P_NORMAL, P_NULL, P_PROTNONE, P_MUNMAPPED, P_KERNEL, P_STRADDLE_NONE,
       P_STRADDLE_UNMAPPED, NPTR };
static const char *const ptr_name[NPTR] = {
	"unaligned_ok", "NULL", "prot_none_page", "munmapped_page",
	"kernel_or_noncanonical", "straddle_prot_none", "straddle_munmapped",
};
enum { F_SLOT, F_SMAP, F_NOTMAP, F_BAD, F_SMALL, F_RANDOM, F_RAWBYTES, NFSRC };
static const char *const fsrc_name[NFSRC] = {
	"slot", "static_map", "not_a_map", "bad_fd", "small_number",
	"random_u32", "random_bytes",
};

static uint8_t *regR;	/* 3 readable pages, then a PROT_NONE page */
static uint8_t *regH;	/* 1 readable page, then a munmapped page */

/* bytes readable from @a on, within our regions (0 outside them) */
static uint64_t readable_run(uintptr_t a)
{
	uintptr_t r = (uintptr_t)regR, h = (uintptr_t)regH;

	if (a >= r && a < r + 3 * page)
		return r + 3 * page - a;
	if (a >= h && a < h + page)
		return h + page - a;
	return 0;
}

struct input {
	uint32_t size;
	uintptr_t ptr;
	uint32_t n;		/* min(size, attr_size): bytes copied */
	uint8_t head[4096];	/* the first n bytes */
	uint32_t tail_nz;	/* offset of a non-zero tail byte, or 0 */
	uint8_t tail_val;
	int sz, pc, fsrc;
	uint32_t fdv;
};

static uint32_t pick_size(struct rng *r, int *cls)
{
	uint32_t u = attr_size, x = rnd_below(r, 100);

	if (x < 3) {
		*cls = SZ_ZERO;
		return 0;
	}
	if (x < 10) {
		*cls = SZ_SHORT;
		return 1 + rnd_below(r, MAPFD_END - 1);
	}
	if (x < 40) {
		*cls = SZ_EXACT;
		return MAPFD_END;
	}
	if (x < 47) {
		*cls = SZ_MID;
		return MAPFD_END + 1 + rnd_below(r, u - MAPFD_END - 1);
	}
	if (x < 67) {
		*cls = SZ_UNION;
		return u;
	}
	if (x < 93) {
		*cls = x < 80 ? SZ_TAIL0 : SZ_TAILNZ;
		if (rnd_below(r, 2))
			return u + 1 + rnd_below(r, 16);
		return u + 1 + rnd_below(r, page - u);
	}
	*cls = SZ_HUGE;
	switch (rnd_below(r, 4)) {
	case 0: return page + 1;
	case 1: return 2 * page;
	case 2: return UINT_MAX;
	default: return page + 1 + rnd_below(r, 1 << 20);
	}
}

static uintptr_t pick_ptr(struct rng *r, uint32_t s, int *cls)
{
	uint32_t x = rnd_below(r, 100), lim = s < page ? s : page, c;
	static const uintptr_t bad[] = {
		0xffff888000000000ULL, 0xffffffff81000000ULL,
		0x8000000000000000ULL, 0x1000, 0x10,
	};

	if (x < 72) {
		*cls = P_NORMAL;
		return (uintptr_t)regR + rnd_below(r, 128);
	}
	if (x < 74) {
		*cls = P_NULL;
		return 0;
	}
	if (x < 76) {
		*cls = P_PROTNONE;
		return (uintptr_t)regR + 3 * page + rnd_below(r, 64);
	}
	if (x < 78) {
		*cls = P_MUNMAPPED;
		return (uintptr_t)regH + page + rnd_below(r, 64);
	}
	if (x < 80) {
		*cls = P_KERNEL;
		return bad[rnd_below(r, ARRAY_SIZE(bad))] + rnd_below(r, 8);
	}
	/* c readable bytes before the boundary */
	if (rnd_below(r, 2)) {
		c = rnd_below(r, lim + 1);
	} else {
		const uint32_t near[] = {
			0, 1, 3, MAPFD_END - 1, MAPFD_END, MAPFD_END + 1,
			attr_size - 1, attr_size, attr_size + 1, lim - 1, lim,
		};

		c = near[rnd_below(r, ARRAY_SIZE(near))];
		if (c > lim)
			c = lim;
	}
	if (x < 90) {
		*cls = P_STRADDLE_NONE;
		return (uintptr_t)regR + 3 * page - c;
	}
	*cls = P_STRADDLE_UNMAPPED;
	return (uintptr_t)regH + page - c;
}

static uint32_t pick_fd(struct rng *r, int *src)
{
	uint32_t x = rnd_below(r, 100), v;

	if (x < 40) {
		int i = rnd_below(r, NSLOTS), y = rnd_below(r, 10);
		int role = y < 6 ? R_RW : y < 8 ? R_WO : R_RO;

		*src = F_SLOT;
		pthread_mutex_lock(&bk);
		v = slots[i].fd[role];
		pthread_mutex_unlock(&bk);
		return v;
	}
	if (x < 58) {
		*src = F_SMAP;
		return smaps[rnd_below(r, NSMAP)].fd;
	}
	if (x < 70) {
		*src = F_NOTMAP;
		return notmap_fd[rnd_below(r, NNOTMAP)];
	}
	if (x < 82) {
		*src = F_BAD;
		switch (rnd_below(r, 8)) {
		case 0: return CLOSED_FD;
		case 1: return 500 + rnd_below(r, 400);	/* never opened */
		case 2: return (uint32_t)-1;
		case 3: return (uint32_t)INT_MIN;
		case 4: return (uint32_t)-(int)(1 + rnd_below(r, 1000));
		case 5: return 1 << 20;
		case 6: return INT_MAX;
		default: return 65536 + rnd_below(r, 1 << 30);
		}
	}
	if (x < 90) {
		*src = F_SMALL;
		return rnd_below(r, 64);
	}
	*src = F_RANDOM;
	return (uint32_t)rnd(r);
}

static void gen_input(struct rng *r, struct input *in)
{
	in->size = pick_size(r, &in->sz);
	in->ptr = pick_ptr(r, in->size, &in->pc);
	in->n = in->size < attr_size ? in->size : attr_size;
	in->tail_nz = 0;
	if (in->sz == SZ_TAILNZ) {
		in->tail_nz = attr_size + rnd_below(r, in->size - attr_size);
		in->tail_val = 1 + rnd_below(r, 255);
	}
	if (rnd_below(r, 100) < 15) {
		/* random bytes over the whole union, or just the fd */
		bool fd_only = rnd_below(r, 2);

		in->fsrc = F_RAWBYTES;
		for (uint32_t i = 0; i < in->n; i++)
			in->head[i] = i < MAPFD_END || !fd_only ? rnd(r) : 0;
		in->fdv = 0;
		memcpy(&in->fdv, in->head,
		       in->n < MAPFD_END ? in->n : MAPFD_END);
		return;
	}
	in->fdv = pick_fd(r, &in->fsrc);
	memset(in->head, 0, in->n);
	memcpy(in->head, &in->fdv, in->n < MAPFD_END ? in->n : MAPFD_END);
	/* garbage after map_fd: CHECK_ATTR's business */
	if (rnd_below(r, 100) < 12 && attr_size > MAPFD_END)
		in->head[MAPFD_END + rnd_below(r, attr_size - MAPFD_END)] =
			1 + rnd_below(r, 255);
}

/* the outcome decided before the fd lookup, as __sys_bpf() + CHECK_ATTR */
static int model_pre_fd(const struct input *in, uint32_t *fd)
{
	uint64_t run;

	if (in->size > (uint32_t)page)
		return C_E2BIG_SIZE;
	if (in->size > attr_size) {
		uint64_t len = in->size - attr_size;
		uint64_t nz = in->tail_nz ? in->tail_nz - attr_size : len;

		run = readable_run(in->ptr + attr_size);
		if (nz < len && nz < run)
			return C_E2BIG_TAIL;
		if (run < len)
			return C_EFAULT_TAIL;
	}
	if (in->n && readable_run(in->ptr) < in->n)
		return C_EFAULT_COPY;
	for (uint32_t i = MAPFD_END; i < in->n; i++)
		if (in->head[i])
			return C_EINVAL_ATTR;
	*fd = 0;
	memcpy(fd, in->head, in->n < MAPFD_END ? in->n : MAPFD_END);
	return C_FD;
}

static uint8_t *dirty[4200];
static int ndirty;

static void put_byte(uintptr_t a, uint8_t v)
{
	if (!v || !readable_run(a))
		return;
	*(uint8_t *)a = v;
	dirty[ndirty++] = (uint8_t *)a;
}

static void write_input(const struct input *in)
{
	for (uint32_t i = 0; i < in->n; i++)
		put_byte(in->ptr + i, in->head[i]);
	if (in->tail_nz)
		put_byte(in->ptr + in->tail_nz, in->tail_val);
}

static void clean_input(void)
{
	while (ndirty)
		*dirty[--ndirty] = 0;
}

struct verdict {
	int cat, cls, n, acc[5];
	bool writer_overlap;
};

struct pre {
	struct fdent e;
	unsigned long fdc, rc, mc, we;
	int fdi, ri, mi, wi, wmmaps;
	bool frozen;
};

/* ----- counters */
static unsigned long long calls, mismatches, successes, succ_by_cat[NCAT];
static unsigned long long cat_cnt[NCAT], cls_hit[NCLS];
static unsigned long long errno_cnt[600], exact_with_writer, resolves;
static unsigned long long notmap_hit[NNOTMAP], smap_hit[NSMAP];
static unsigned long long slot_role_hit[NROLES], sz_cnt[NSZ], ptr_cnt[NPTR];
static unsigned long long fsrc_cnt[NFSRC], fd_stage_calls;

static void verdict_exact(struct verdict *v, int cls)
{
	v->writer_overlap = false;
	v->cat = CAT_EXACT;
	v->cls = cls;
	v->n = 1;
	v->acc[0] = cls_errno[cls];
}

static void verdict_set(struct verdict *v, int cat, int n, const int *acc)
{
	v->cat = cat;
	v->cls = -1;
	v->n = n;
	memcpy(v->acc, acc, n * sizeof(int));
}

/* under bk, after the call: what the call may have returned */
static void fd_verdict(uint32_t fdv, const struct pre *p, struct verdict *v)
{
	static const int race_fd[] = { 0, EBADF, EPERM, EBUSY };
	static const int zero_busy[] = { 0, EBUSY };
	struct slot *sl;

	v->writer_overlap = false;
	if (fdv >= FDTAB) {
		verdict_exact(v, C_EBADF);
		return;
	}
	switch (p->e.kind) {
	case K_NONE:
		if (!p->fdi && fd_changes == p->fdc)
			verdict_exact(v, C_EBADF);
		else
			verdict_set(v, CAT_RACE_FD, 4, race_fd);
		return;
	case K_NOTMAP:
		notmap_hit[p->e.idx]++;
		verdict_exact(v, C_EINVAL_NOTMAP);
		return;
	case K_SMAP: {
		const struct smap *m = &smaps[p->e.idx];

		smap_hit[p->e.idx]++;
		if (m->st->special)
			verdict_exact(v, C_ENOTSUPP);
		else if (m->ro)
			verdict_exact(v, C_EPERM_RO);
		else if (m->st->frozen)
			verdict_exact(v, C_EPERM_FROZEN);
		else if (m->st->wmmaps)
			verdict_exact(v, C_EBUSY_MMAP);
		else
			verdict_exact(v, C_OK);
		return;
	}
	}
	sl = &slots[p->e.idx];
	slot_role_hit[p->e.role]++;
	if (p->ri || sl->rc != p->rc) {
		verdict_set(v, CAT_RACE_FD, 4, race_fd);
		return;
	}
	if (p->e.role == R_RO) {
		verdict_exact(v, C_EPERM_RO);
		return;
	}
	if (p->frozen) {
		verdict_exact(v, C_EPERM_FROZEN);
		return;
	}
	if (p->mi || sl->mc != p->mc) {
		verdict_set(v, CAT_RACE_MMAP, 2, zero_busy);
		return;
	}
	if (p->wmmaps) {
		verdict_exact(v, C_EBUSY_MMAP);
		return;
	}
	verdict_exact(v, C_OK);
	v->writer_overlap = p->wi || sl->we != p->we;
	/* upstream: bpf_map_write_active() counts writers in flight too */
	if (upstream && v->writer_overlap)
		verdict_set(v, CAT_RACE_WRITER, 2, zero_busy);
}

/* which slot maps may a racy freeze have frozen: probe each with a write */
static void resolve_slots(void)
{
	resolves++;
	for (int i = 0; i < NSLOTS; i++) {
		struct slot *sl = &slots[i];
		int err;

		pthread_mutex_lock(&sl->op);
		pthread_mutex_lock(&bk);
		err = map_update(sl->fd[R_RW], 0, 0x9e50);
		if (err == 0) {
			if (sl->frozen) {
				state_violations++;
				ksft_print_msg("slot %s: tracked frozen, yet update succeeded\n",
					       slotcfg[i].name);
			}
			sl->frozen = false;
		} else if (err == EPERM) {
			sl->frozen = true;
		} else {
			state_violations++;
			ksft_print_msg("slot %s: probe update: %s\n",
				       slotcfg[i].name, ename(err));
		}
		sl->maybe_frozen = false;
		check_slot(sl, "after resolve");
		pthread_mutex_unlock(&bk);
		pthread_mutex_unlock(&sl->op);
	}
}

static void print_mismatch(const struct input *in, const struct verdict *v,
			   int got, const struct pre *p)
{
	char exp[64] = "";
	int o = 0;

	mismatches++;
	if (mismatches > MAX_REPORTS)
		return;
	for (int k = 0; k < v->n; k++)
		o += snprintf(exp + o, sizeof(exp) - o, "%s%s", k ? "|" : "",
			      ename(v->acc[k]));
	ksft_print_msg("mismatch call %llu: size %u (%s) ptr %#lx (%s) fd %u (%s%s%s%s) expected %s [%s%s%s]%s got %s\n",
		       calls, in->size, sz_name[in->sz], (unsigned long)in->ptr,
		       ptr_name[in->pc], in->fdv, fsrc_name[in->fsrc],
		       p ? " -> " : "",
		       p ? (p->e.kind == K_SLOT ? slotcfg[p->e.idx].name :
			    p->e.kind == K_SMAP ? smaps[p->e.idx].name :
			    p->e.kind == K_NOTMAP ? notmap_name[p->e.idx] :
			    "none") : "",
		       p && p->e.kind == K_SLOT ? (p->e.role == R_RO ? "/ro" :
						   p->e.role == R_WO ? "/wo" : "/rw") : "",
		       exp, cat_name[v->cat], v->cls >= 0 ? " " : "",
		       v->cls >= 0 ? cls_name[v->cls] : "",
		       p && v->writer_overlap ? " (a syscall writer was in flight)" : "",
		       ename(got));
}

static int do_freeze(const struct input *in)
{
	long ret = sys_bpf(BPF_MAP_FREEZE, (const void *)in->ptr, in->size);

	if (ret > 0)
		return -1;	/* not an errno: always a mismatch */
	return ret ? errno : 0;
}

static void fuzz_one(struct rng *r)
{
	static struct input in;
	struct verdict v;
	struct pre p;
	uint32_t fdv;
	int cls, got;
	bool resolve = false;

	gen_input(r, &in);
	sz_cnt[in.sz]++;
	ptr_cnt[in.pc]++;
	fsrc_cnt[in.fsrc]++;
	write_input(&in);
	cls = model_pre_fd(&in, &fdv);
	if (cls != C_FD) {
		got = do_freeze(&in);
		verdict_exact(&v, cls);
		if (got != v.acc[0])
			print_mismatch(&in, &v, got, NULL);
		else
			cls_hit[cls]++;
		if (got == 0)
			successes++;
		goto out;
	}

	fd_stage_calls++;
	pthread_mutex_lock(&bk);
	memset(&p, 0, sizeof(p));
	p.e = fdv < FDTAB ? fdtab[fdv] : (struct fdent){ K_NONE, 0, 0 };
	p.fdc = fd_changes;
	p.fdi = fd_inflight;
	fz_inflight = 1;
	fz_fdc_pre = fd_changes;
	fz_uncertain = p.e.kind == K_NONE ? fdv < FDTAB : false;
	if (p.e.kind == K_SLOT) {
		struct slot *sl = &slots[p.e.idx];

		p.rc = sl->rc;
		p.ri = sl->ri;
		p.mc = sl->mc;
		p.mi = sl->mi;
		p.we = sl->we;
		p.wi = sl->wi;
		p.frozen = sl->frozen;
		p.wmmaps = sl->wmmaps;
		if (p.ri)
			fz_uncertain = true;
		else
			sl->fz_inflight = 1;
	}
	pthread_mutex_unlock(&bk);

	got = do_freeze(&in);

	pthread_mutex_lock(&bk);
	fd_verdict(fdv, &p, &v);
	fz_inflight = 0;
	if (p.e.kind == K_SLOT)
		slots[p.e.idx].fz_inflight = 0;
	{
		bool ok = false;

		for (int k = 0; k < v.n; k++)
			ok |= got == v.acc[k];
		if (!ok)
			print_mismatch(&in, &v, got, &p);
		else if (v.cat == CAT_EXACT)
			cls_hit[v.cls]++;
	}
	if (v.cat == CAT_EXACT && v.writer_overlap && got == 0)
		exact_with_writer++;
	if (got == 0) {
		successes++;
		succ_by_cat[v.cat]++;
		if (p.e.kind == K_SMAP && fdv < FDTAB) {
			smaps[p.e.idx].st->frozen = true;
		} else if (p.e.kind == K_SLOT && v.cat != CAT_RACE_FD) {
			slots[p.e.idx].frozen = true;
			check_slot(&slots[p.e.idx], "after freeze");
		} else {
			/* a racy (or wrong) success: which map is frozen? */
			for (int i = 0; i < NSLOTS; i++)
				slots[i].maybe_frozen = true;
			resolve = true;
		}
	}
	pthread_mutex_unlock(&bk);
	if (resolve)
		resolve_slots();
out:
	cat_cnt[v.cat]++;
	errno_cnt[got >= 0 && got < 599 ? got : 599]++;
	clean_input();
}

/* ------------------------------------------------------------------ setup */

/*
 * setup_ok: the preconditions test. A missing object (no BTF, no link, ...)
 * fails it loudly, yet the fuzzer still runs: the fd field then holds -1,
 * an EBADF, and fuzz_errno_classes_hit fails for the kind never reached.
 * A fatal one (the memory regions, the slots, fd 0) stops the run.
 */
static bool setup_ok = true, setup_fatal;

static __printf(1, 2) void setup_fail(const char *fmt, ...)
{
	va_list ap;

	setup_ok = false;
	printf("# setup: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

#define setup_die(...) do {						\
	setup_fatal = true;						\
	setup_fail(__VA_ARGS__);					\
} while (0)

static int add_notmap(const char *name, int fd)
{
	for (unsigned int i = 0; i < NNOTMAP; i++) {
		if (strcmp(notmap_name[i], name))
			continue;
		notmap_fd[i] = fd;
		if (fd >= 0)
			fdtab_set(fd, K_NOTMAP, i, 0);
		else
			setup_fail("%s: no fd\n", name);
		return fd;
	}
	setup_fail("unknown kind %s\n", name);
	return -1;
}

static void add_smap(const char *name, int fd)
{
	for (unsigned int i = 0; i < NSMAP; i++) {
		if (strcmp(smaps[i].name, name))
			continue;
		smaps[i].fd = fd;
		if (fd >= 0)
			fdtab_set(fd, K_SMAP, i, 0);
		else
			setup_fail("static map %s: %s\n", name, strerror(errno));
		return;
	}
}

/* a link fd without BTF: a flow dissector attached to a private netns */
static int make_link(int *netns_fd)
{
	int orig, prog, link;
	union bpf_attr a;

	*netns_fd = -1;
	orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig >= 0 && !unshare(CLONE_NEWNET)) {
		*netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (setns(orig, CLONE_NEWNET))
			setup_fail("setns back: %s\n", strerror(errno));
	}
	if (orig >= 0)
		close(orig);
	if (*netns_fd < 0) {
		setup_fail("private netns: %s\n", strerror(errno));
		return -1;
	}
	prog = prog_load(BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_FLOW_DISSECTOR);
	if (prog >= 0) {
		memset(&a, 0, sizeof(a));
		a.link_create.prog_fd = prog;
		a.link_create.target_fd = *netns_fd;
		a.link_create.attach_type = BPF_FLOW_DISSECTOR;
		link = sys_bpf(BPF_LINK_CREATE, &a, sizeof(a));
		close(prog);
		if (link >= 0) {
			link_how = "flow_dissector link on a private netns";
			return link;
		}
		ksft_print_msg("flow dissector link: %s\n", strerror(errno));
	} else {
		ksft_print_msg("flow dissector prog: %s\n", strerror(errno));
	}
	/* fallback: a raw tracepoint link */
	prog = prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, 0);
	if (prog < 0) {
		setup_fail("raw_tracepoint prog: %s\n", strerror(errno));
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.name = (__u64)(uintptr_t)"sched_process_exec";
	a.raw_tracepoint.prog_fd = prog;
	link = sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a, sizeof(a));
	close(prog);
	if (link < 0)
		setup_fail("raw tracepoint link: %s\n", strerror(errno));
	link_how = "raw_tracepoint link (sched_process_exec)";
	return link;
}

static void *map_mmap(int fd, int prot)
{
	void *p = mmap(NULL, page, prot, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* the kernel's sizeof(union bpf_attr): first offset that gives E2BIG */
static size_t probe_attr_size(void)
{
	uint8_t *buf = regR;
	size_t k;

	for (k = MAPFD_END; k < (size_t)page; k++) {
		int err;

		memset(buf, 0, k + 1);
		buf[k] = 1;
		*(__u32 *)buf = CLOSED_FD;
		err = bpf_err(sys_bpf(BPF_MAP_FREEZE, buf, k + 1));
		if (err == E2BIG)
			break;
		if (err != EINVAL) {
			setup_die("probe: byte %zu non-zero: %s\n", k,
				   ename(err));
			break;
		}
	}
	memset(buf, 0, page);
	return k;
}

static void setup(void)
{
	int fd, pfd[2], netns, btf;
	void *p;

	/* a known fd table: nothing inherited past stderr, /dev/null on 0 */
	for (fd = 3; fd < FDTAB; fd++)
		close(fd);
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		fd = eventfd(0, 0);
	if (fd < 0 || dup2(fd, 0) != 0)
		setup_die("fd 0: %s\n", strerror(errno));
	if (fd > 0)
		close(fd);
	add_notmap("dev_null_fd0", 0);
	for (fd = 1; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) < 0) {
			setup_fail("fd %d not open\n", fd);
			continue;
		}
		add_notmap(fd == 1 ? "stdout" : "stderr", fd);
	}
	/* a closed fd number, above anything we allocate */
	if (dup2(0, CLOSED_FD) != CLOSED_FD || close(CLOSED_FD))
		setup_die("closed fd: %s\n", strerror(errno));

	regR = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (regR == MAP_FAILED || mprotect(regR + 3 * page, page, PROT_NONE))
		setup_die("region R: %s\n", strerror(errno));
	/* far below mmap_base: the allocator never fills this hole */
	for (uintptr_t hint = 0x300000000000ULL; hint < 0x380000000000ULL;
	     hint += 0x1000000000ULL) {
		p = mmap((void *)hint, 2 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			 -1, 0);
		if (p == (void *)hint) {
			regH = p;
			break;
		}
		if (p != MAP_FAILED)
			munmap(p, 2 * page);
	}
	if (!regH || munmap(regH + page, page))
		setup_die("region H: %s\n", strerror(errno));
	if (setup_fatal)
		return;

	attr_size = probe_attr_size();
	ksft_print_msg("sizeof(union bpf_attr): header %zu, kernel %zu\n",
		       sizeof(union bpf_attr), attr_size);
	if (attr_size != sizeof(union bpf_attr) && !upstream)
		setup_fail("kernel's union bpf_attr is not the header's\n");
	if (attr_size < MAPFD_END + 2 || attr_size >= (size_t)page)
		setup_die("implausible union size %zu\n", attr_size);

	add_notmap("prog", prog_load(BPF_PROG_TYPE_SOCKET_FILTER, 0));
	btf = add_notmap("btf", btf_load());
	fd = make_link(&netns);
	add_notmap("link", fd);
	add_notmap("netns", netns);
	if (pipe(pfd))
		pfd[0] = pfd[1] = -1;
	add_notmap("pipe_r", pfd[0]);
	add_notmap("pipe_w", pfd[1]);
	add_notmap("eventfd", eventfd(0, 0));

	fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 0);
	add_smap("plain_rw", fd);
	add_smap("plain_ro_by_id", map_fd_by_id(fd, BPF_F_RDONLY));
	add_smap("plain_wo_by_id", map_fd_by_id(fd, BPF_F_WRONLY));
	add_smap("created_rdonly",
		 map_create(BPF_MAP_TYPE_ARRAY, 4, BPF_F_RDONLY));
	fd = map_create(BPF_MAP_TYPE_ARRAY, 512, BPF_F_MMAPABLE);
	add_smap("frozen", fd);
	if (fd >= 0 && map_freeze(fd))
		setup_fail("freeze static map: %s\n", strerror(errno));
	else
		ms_frozen.frozen = true;
	if (fd >= 0 && !map_mmap(fd, PROT_READ))
		setup_fail("read-only mmap of frozen map: %s\n",
			   strerror(errno));
	fd = map_create(BPF_MAP_TYPE_ARRAY, 512, BPF_F_MMAPABLE);
	add_smap("wmmapped", fd);
	add_smap("wmmapped_ro_by_id", map_fd_by_id(fd, BPF_F_RDONLY));
	p = fd >= 0 ? map_mmap(fd, PROT_READ | PROT_WRITE) : NULL;
	if (!p)
		setup_fail("writable mmap: %s\n", strerror(errno));
	else
		*(volatile __u64 *)p = 1;
	ms_wmmap.wmmaps = !!p;
	fd = btf >= 0 ?
	     map_create_btf(BPF_MAP_TYPE_HASH, 16, 0, btf, 1, 3) : -1;
	add_smap("spin_lock", fd);
	add_smap("spin_lock_ro_by_id", map_fd_by_id(fd, BPF_F_RDONLY));
	ms_spin.special = true;

	for (int i = 0; i < NSLOTS; i++) {
		struct slot *sl = &slots[i];

		pthread_mutex_init(&sl->op, NULL);
		if (slot_open(i, sl->fd)) {
			setup_die("slot %s: %s\n", slotcfg[i].name,
				   strerror(errno));
			continue;
		}
		for (int k = 0; k < NROLES; k++)
			fdtab_set(sl->fd[k], K_SLOT, i, k);
	}
	ksft_print_msg("link fd: %s\n", link_how);
}

static unsigned long long env_ull(const char *name, unsigned long long def)
{
	const char *s = getenv(name);
	unsigned long long v;
	char *end;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		ksft_exit_fail_msg("bad %s '%s'\n", name, s);
	return v;
}

/* ------------------------------------------------------------ serial mode */

static const uint64_t serial_seeds[] = { DEFAULT_SEED, 0x1, 0xf1ee2e5eed };
static void *serial_map[NSLOTS];	/* a writable mapping of the slot */
static unsigned long serial_recreates, serial_mmaps;

static void serial_violation(const char *what, const char *name, int err)
{
	state_violations++;
	if (state_violations <= MAX_REPORTS)
		ksft_print_msg("serial: %s %s: %s\n", what, name, ename(err));
}

static void serial_munmap(int i)
{
	if (!serial_map[i])
		return;
	if (munmap(serial_map[i], page))
		serial_violation("munmap", slotcfg[i].name, errno);
	serial_map[i] = NULL;
	slots[i].wmmaps--;
}

/*
 * The workers' stand-in in the serial mode, between two freezes of the
 * fuzzing thread: now and then a slot's map recreated, or a writable
 * mapping of an mmapable slot (not the BPF_F_RDONLY_PROG one) made or
 * removed. A map's fds come back with the same numbers (the lowest free
 * ones), so the fd table stays the same; anything else is a violation.
 */
static void serial_step(struct rng *r)
{
	uint32_t x = rnd_below(r, 32);
	int i = rnd_below(r, NSLOTS), nfd[NROLES];
	struct slot *sl = &slots[i];
	void *p;

	if (x == 0) {
		serial_munmap(i);
		for (int k = 0; k < NROLES; k++) {
			if (close(sl->fd[k]))
				serial_violation("close", slotcfg[i].name, errno);
			fdtab_set(sl->fd[k], K_NONE, 0, 0);
		}
		if (slot_open(i, nfd)) {
			set_fatal("recreate %s: %s", slotcfg[i].name,
				  strerror(errno));
			return;
		}
		for (int k = 0; k < NROLES; k++) {
			if (nfd[k] != sl->fd[k])
				serial_violation("recreate on other fds",
						 slotcfg[i].name, 0);
			sl->fd[k] = nfd[k];
			fdtab_set(nfd[k], K_SLOT, i, k);
		}
		sl->gen++;
		sl->frozen = false;
		sl->recreations++;
		serial_recreates++;
	} else if (x == 1 && slotcfg[i].mmapable &&
		   !(slotcfg[i].flags & BPF_F_RDONLY_PROG)) {
		if (serial_map[i]) {
			serial_munmap(i);
		} else if (!sl->frozen) {
			p = map_mmap(sl->fd[R_RW], PROT_READ | PROT_WRITE);
			if (!p) {
				serial_violation("writable mmap", slotcfg[i].name,
						 errno);
				return;
			}
			serial_map[i] = p;
			sl->wmmaps++;
			serial_mmaps++;
		}
	}
}

struct table_row {
	const char *name;
	unsigned long long count;
};

static int table_cmp(const void *a, const void *b)
{
	return strcmp(((const struct table_row *)a)->name,
		      ((const struct table_row *)b)->name);
}

/* the outcome table: one line per errno, sorted by name, "ok" for 0 */
static void print_table(uint64_t s)
{
	static char unnamed[600][16];
	struct table_row rows[600];
	int n = 0;

	for (int i = 0; i < 600; i++) {
		const char *name = i == 0 ? "ok" : i == 599 ? "other" : ename(i);

		if (!errno_cnt[i])
			continue;
		if (!strcmp(name, "?")) {
			snprintf(unnamed[i], sizeof(unnamed[i]), "errno_%d", i);
			name = unnamed[i];
		}
		rows[n++] = (struct table_row){ name, errno_cnt[i] };
	}
	qsort(rows, n, sizeof(rows[0]), table_cmp);
	for (int i = 0; i < n; i++)
		ksft_print_msg("fuzz_table seed=0x%llx errno=%s count=%llu\n",
			       (unsigned long long)s, rows[i].name,
			       rows[i].count);
}

/* one seed, in a child process of its own: 0 if all went as predicted */
static int serial_run(uint64_t s, unsigned long long want)
{
	struct rng r, w;
	double t0;

	seed = s;
	setup();
	if (!setup_ok) {
		ksft_print_msg("seed 0x%llx: setup failed, no table\n",
			       (unsigned long long)s);
		return 1;
	}
	rng_seed(&r, seed);
	rng_seed(&w, seed ^ 0x5e41a1);
	t0 = now_ms();
	for (calls = 0; calls < want && !atomic_load(&stop); calls++) {
		serial_step(&w);
		fuzz_one(&r);
	}
	for (int i = 0; i < NSLOTS; i++)
		serial_munmap(i);
	ksft_print_msg("fuzz_serial seed=0x%llx calls=%llu in %.2f s: successes=%llu mismatches=%llu recreates=%lu mmaps=%lu state_violations=%lu\n",
		       (unsigned long long)s, calls, (now_ms() - t0) / 1e3,
		       successes, mismatches, serial_recreates, serial_mmaps,
		       state_violations);
	for (int i = 0; i < NCLS; i++)
		if (!cls_hit[i])
			ksft_print_msg("seed 0x%llx: errno class %s never hit\n",
				       (unsigned long long)s, cls_name[i]);
	if (fatal)
		ksft_print_msg("error: %s\n", fatal_msg);
	print_table(s);
	return mismatches || calls < want || state_violations || fatal;
}

/*
 * FUZZ_SERIAL=1: each seed in a fresh child (the same fd table and maps
 * for each), one result per seed, under a watchdog.
 */
static __noreturn void serial_main(void)
{
	unsigned long long want = env_ull("FUZZ_CALLS", SERIAL_CALLS);
	const uint64_t *seeds = serial_seeds;
	int n = ARRAY_SIZE(serial_seeds);
	const char *env = getenv("FUZZ_SEED");
	double t0 = now_ms();
	uint64_t one;

	if (env && *env) {
		one = env_ull("FUZZ_SEED", 0);
		seeds = &one;
		n = 1;
	}
	ksft_print_header();
	ksft_set_plan(n);
	ksft_print_msg("serial mode: %d seed(s), %llu calls each, no worker threads\n",
		       n, want);
	for (int i = 0; i < n; i++) {
		char name[96];
		int status = -1;
		pid_t pid;

		snprintf(name, sizeof(name),
			 "fuzz_serial_seed_0x%llx_errnos_match_upstream",
			 (unsigned long long)seeds[i]);
		watchdog_arm(i + 1, name, SERIAL_TIMEOUT);
		fflush(stdout);	/* the child's stdout starts empty */
		pid = fork();
		if (pid == 0)
			exit(serial_run(seeds[i], want));
		watchdog()->child = pid;
		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			ksft_print_msg("fork/waitpid: %s\n", strerror(errno));
		alarm(0);
		watchdog()->child = 0;
		if (pid > 0 && !(WIFEXITED(status) && !WEXITSTATUS(status)))
			ksft_print_msg("seed 0x%llx: child status %#x\n",
				       (unsigned long long)seeds[i], status);
		ksft_test_result(WIFEXITED(status) && !WEXITSTATUS(status),
				 "%s\n", name);
	}
	ksft_print_msg("serial mode: %.2f s in all\n", (now_ms() - t0) / 1e3);
	ksft_finished();
}

int main(void)
{
	unsigned long long want;
	pthread_t th[4];
	struct rng r;
	long cpus;
	double t0, secs;
	bool classes_ok = true;
	unsigned char vec;
	int i;

	page = sysconf(_SC_PAGESIZE);
	upstream = getenv("FREEZE_UPSTREAM") &&
		   !strcmp(getenv("FREEZE_UPSTREAM"), "1");
	if (env_ull("FUZZ_SERIAL", 0))
		serial_main();
	ksft_print_header();
	ksft_set_plan(7);
	want = env_ull("FUZZ_CALLS", DEFAULT_CALLS);
	seed = env_ull("FUZZ_SEED", DEFAULT_SEED);
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	ksft_print_msg("seed=%#llx calls=%llu cpus=%ld mode=%s\n",
		       (unsigned long long)seed, want, cpus,
		       upstream ? "upstream (FREEZE_UPSTREAM=1: EBUSY accepted for freezes racing writers)" :
		       "patched (freeze waits for writers: no EBUSY from them)");
	if (cpus < 2)
		setup_fail("need at least 2 CPUs online, have %ld\n", cpus);
	setup();
	ksft_test_result(setup_ok, "preconditions\n");
	if (setup_fatal) {
		for (i = 2; i <= 7; i++)
			ksft_test_result_fail("not run: setup failed\n");
		ksft_finished();
	}

	rng_seed(&r, seed);
	if (pthread_create(&th[0], NULL, closer, NULL) ||
	    pthread_create(&th[1], NULL, mmapper, NULL) ||
	    pthread_create(&th[2], NULL, writer, &writer_cnt[0]) ||
	    pthread_create(&th[3], NULL, writer, &writer_cnt[1]))
		ksft_exit_fail_msg("pthread_create\n");
	t0 = now_ms();
	for (calls = 0; calls < want && !atomic_load(&stop); calls++)
		fuzz_one(&r);
	atomic_store(&stop, 1);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	secs = (now_ms() - t0) / 1e3;
	ksft_print_msg("%llu calls in %.1f s (%.0f/s)\n", calls, secs,
		       calls / secs);
	if (fatal)
		ksft_print_msg("worker error: %s\n", fatal_msg);

	for (i = 0; i < 600; i++)
		if (errno_cnt[i])
			ksft_print_msg("errno=%s count=%llu\n",
				       i == 599 ? "other" : ename(i),
				       errno_cnt[i]);
	for (i = 0; i < NCAT; i++)
		ksft_print_msg("category=%s count=%llu successes=%llu\n",
			       cat_name[i], cat_cnt[i], succ_by_cat[i]);
	ksft_print_msg("exact_success_with_writer_in_flight=%llu resolves=%llu fd_stage_calls=%llu\n",
		       exact_with_writer, resolves, fd_stage_calls);
	for (i = 0; i < NCLS; i++)
		ksft_print_msg("class=%s matched=%llu\n", cls_name[i],
			       cls_hit[i]);
	for (i = 0; i < NSZ; i++)
		ksft_print_msg("size=%s count=%llu\n", sz_name[i], sz_cnt[i]);
	for (i = 0; i < NPTR; i++)
		ksft_print_msg("ptr=%s count=%llu\n", ptr_name[i], ptr_cnt[i]);
	for (i = 0; i < NFSRC; i++)
		ksft_print_msg("fd_source=%s count=%llu\n", fsrc_name[i],
			       fsrc_cnt[i]);
	for (i = 0; i < (int)NNOTMAP; i++)
		ksft_print_msg("fd_kind=%s (fd %d) reached_lookup=%llu\n",
			       notmap_name[i], notmap_fd[i], notmap_hit[i]);
	for (i = 0; i < (int)NSMAP; i++)
		ksft_print_msg("fd_kind=%s (fd %d) reached_lookup=%llu\n",
			       smaps[i].name, smaps[i].fd, smap_hit[i]);
	for (i = 0; i < NROLES; i++)
		ksft_print_msg("fd_kind=slot_%s reached_lookup=%llu\n",
			       role_name[i], slot_role_hit[i]);
	for (i = 0; i < NSLOTS; i++)
		ksft_print_msg("slot=%s recreated=%lu\n", slotcfg[i].name,
			       slots[i].recreations);
	ksft_print_msg("mmapper: ops=%lu ok=%lu eperm=%lu eacces=%lu\n",
		       mmapper_cnt.ops, mmapper_cnt.ok, mmapper_cnt.eperm,
		       mmapper_cnt.eacces);
	for (i = 0; i < 2; i++)
		ksft_print_msg("writer%d: ops=%lu ok=%lu eperm=%lu ebadf=%lu enoent=%lu einval=%lu racing_recreate=%lu\n",
			       i, writer_cnt[i].ops, writer_cnt[i].ok,
			       writer_cnt[i].eperm, writer_cnt[i].ebadf,
			       writer_cnt[i].enoent, writer_cnt[i].einval,
			       writer_cnt[i].races);

	ksft_print_msg("mismatches=%llu\n", mismatches);
	ksft_test_result(mismatches == 0, "fuzz_errnos_match_upstream\n");
	ksft_test_result(calls >= want, "fuzz_calls_count\n");
	ksft_print_msg("successful freezes=%llu\n", successes);
	ksft_test_result(successes > 0 && cls_hit[C_OK] > 0,
			 "fuzz_successful_freezes\n");

	for (i = 0; i < NCLS; i++)
		if (!cls_hit[i]) {
			classes_ok = false;
			ksft_print_msg("errno class %s never hit\n", cls_name[i]);
		}
	for (i = 0; i < (int)NNOTMAP; i++)
		if (!notmap_hit[i]) {
			classes_ok = false;
			ksft_print_msg("fd kind %s never reached the fd lookup\n",
				       notmap_name[i]);
		}
	for (i = 0; i < (int)NSMAP; i++)
		if (!smap_hit[i]) {
			classes_ok = false;
			ksft_print_msg("fd kind %s never reached the fd lookup\n",
				       smaps[i].name);
		}
	for (i = 0; i < NROLES; i++)
		if (!slot_role_hit[i]) {
			classes_ok = false;
			ksft_print_msg("slot %s fds never reached the fd lookup\n",
				       role_name[i]);
		}
	ksft_test_result(classes_ok, "fuzz_errno_classes_hit\n");

	ksft_print_msg("worker violations=%u\n", atomic_load(&worker_violations));
	ksft_test_result(!atomic_load(&worker_violations) && !fatal,
			 "fuzz_workers_errnos_expected\n");

	/* the munmapped page must still be unmapped, or EFAULTs were luck */
	if (mincore(regH + page, page, &vec) == 0 || errno != ENOMEM) {
		state_violations++;
		ksft_print_msg("the munmapped page got mapped\n");
	}
	ksft_print_msg("state violations=%lu\n", state_violations);
	ksft_test_result(!state_violations && !fatal, "fuzz_state_consistent\n");
	ksft_finished();
}
