// SPDX-License-Identifier: GPL-2.0
/*
 * freeze_teardown - BPF_MAP_FREEZE racing with the teardown of what it works
 * on: the map's last fds, its mmaps, its bpffs pin.
 *
 * 1. close_last_fd_during_freeze: writers (through dup()ed fds) and a freezer
 *    run while the main thread closes every fd of the map. Each writer sees
 *    0, then EPERM once frozen, then EBADF once its fd is closed, never out
 *    of that order; the freezer sees 0 once, then EPERM, then EBADF.
 * 2. munmap_during_freeze: threads mmap a BPF_F_MMAPABLE array writable,
 *    write it and munmap it, while another thread freezes it: freeze returns
 *    0 or EBUSY only, never 0 while one mapping lived across the whole call;
 *    after it returned 0, a writable mmap fails with EPERM (bpf_map_mmap()),
 *    a read-only one succeeds, a syscall update fails with EPERM.
 * 3. freeze_while_pin_unpin: one thread pins the map in bpffs and unlinks it
 *    in a loop, one freezes fds from BPF_OBJ_GET, one updates through fds
 *    from BPF_OBJ_GET; afterwards BPF_OBJ_GET gives an fd on which update
 *    fails with EPERM.
 *
 * Freeze racing a syscall writer returns EBUSY upstream (v6.12) and waits
 * on the patched kernel: EBUSY from the freezer of tests 1 and 3 is accepted
 * only with FREEZE_UPSTREAM=1. In test 2, EBUSY comes from writable mmaps
 * and is expected on both.
 *
 * Env: TEARDOWN_ITERS (iterations of each test; default 500, 200, 200),
 * BPFFS_DIR (default /sys/fs/bpf), FREEZE_UPSTREAM=1.
 * Each test runs under a watchdog (alarm()): a hang prints "not ok" and
 * exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <linux/bpf.h>

#include "kselftest.h"
#include "stress.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC	0xcafe4a11
#endif
#define MAX_REPORTS	8
#define WATCHDOG_S	240
#define PHASE_MAX_MS	3000.0	/* per iteration, before forcing the end */
#define FREEZER_PATIENCE_MS 500.0 /* test 2: EBUSY this long, stop mappers */

static bool upstream;
static long page;
static unsigned int iters_override;
static const char *bpffs = "/sys/fs/bpf";

/* ---------------------------------------------------------------- utils */

static void spin(unsigned int n)
{
	for (volatile unsigned int i = 0; i < n; i++)
		;
}

/* the main thread waits without taking a CPU from the racing threads */
static void relax(void)
{
	pause_us(20);
}

/* ----------------------------------------------------- failures, watchdog */

static atomic_uint violations, reported;	/* reported: this test */

static __printf(1, 2) void violation(const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&violations, 1);
	va_start(ap, fmt);
	vreport(&reported, MAX_REPORTS, "# ", fmt, ap);
	va_end(ap);
}

static unsigned int iters(unsigned int def)
{
	return iters_override ? iters_override : def;
}

/* ------------------------------------ 1. close_last_fd_during_freeze */

#define T1_WRITERS	2

struct t1 {
	int wfd[T1_WRITERS], ffd;
	bool hash;
	/*
	 * FREEZE_FIRST: freeze after freeze_at writer ops, close later;
	 * TOGETHER: the freezer tells the main thread to close, then freezes;
	 * CLOSE_FIRST: freeze once the close has started.
	 */
	enum { FREEZE_FIRST, TOGETHER, CLOSE_FIRST } mode;
	long freeze_at;
	atomic_int close_now;
	atomic_int closing, frozen_done;
	atomic_long ops;
	atomic_int ready, go;	/* start gate */
};

/* threads start together: a thread still being created may wait a slice */
static void gate(atomic_int *ready, atomic_int *go)
{
	atomic_fetch_add(ready, 1);
	while (!atomic_load(go))
		sched_yield();
}

static struct {
	unsigned long w_ok, w_enoent, w_eperm, w_ebadf;
	unsigned long f_ok, f_eperm, f_ebusy, f_ebadf;
	unsigned long freeze_before_close, freeze_during_close;
	unsigned long close_before_freeze;
} c1;
static pthread_mutex_t c1_lock = PTHREAD_MUTEX_INITIALIZER;

struct t1w {
	struct t1 *t;
	int idx;
	uint64_t seed;
	unsigned long ok, enoent, eperm, ebadf;
};

static void *t1_writer(void *arg)
{
	struct t1w *w = arg;
	struct t1 *t = w->t;
	int fd = t->wfd[w->idx], phase = 0, ebadf_left = 3;
	struct rng r;

	rng_seed(&r, w->seed);
	gate(&t->ready, &t->go);
	while (ebadf_left) {
		bool fz = atomic_load(&t->frozen_done), del;
		__u32 key = rnd_below(&r, 8);
		int err, p;

		del = t->hash && rnd_below(&r, 3) == 0;
		err = del ? map_delete(fd, key) : map_update(fd, key, rnd(&r));
		atomic_fetch_add(&t->ops, 1);
		switch (err) {
		case 0: w->ok++; p = 0; break;
		case ENOENT: w->enoent++; p = del ? 0 : -1; break;
		case EPERM: w->eperm++; p = 1; break;
		case EBADF: w->ebadf++; p = 2; break;
		default: p = -1; break;
		}
		if (p < 0) {
			violation("writer %d: %s: %s\n", w->idx,
				  del ? "delete" : "update", ename(err));
			break;
		}
		if (p < phase)
			violation("writer %d: %s after %s\n", w->idx, ename(err),
				  phase == 1 ? "EPERM" : "EBADF");
		if (fz && p == 0)
			violation("writer %d: %s succeeded after freeze returned\n",
				  w->idx, del ? "delete" : "update");
		if (p == 2 && !atomic_load(&t->closing))
			violation("writer %d: EBADF before the close\n", w->idx);
		phase = p > phase ? p : phase;
		if (phase == 2)
			ebadf_left--;
	}
	return NULL;
}

struct t1f {
	struct t1 *t;
	unsigned long ok, eperm, ebusy, ebadf;
	bool froze_before_close;
};

static void *t1_freezer(void *arg)
{
	struct t1f *f = arg;
	struct t1 *t = f->t;
	bool done = false;

	gate(&t->ready, &t->go);
	/* busy waits: after a yield, the next run may be a time slice away */
	switch (t->mode) {
	case FREEZE_FIRST:
		while (atomic_load(&t->ops) < t->freeze_at &&
		       !atomic_load(&t->closing))
			;
		break;
	case TOGETHER:
		while (atomic_load(&t->ops) < t->freeze_at &&
		       !atomic_load(&t->closing))
			;
		atomic_store(&t->close_now, 1);
		break;
	case CLOSE_FIRST:
		while (!atomic_load(&t->closing))
			;
		break;
	}
	for (;;) {
		int err = map_freeze(t->ffd);

		if (err == 0) {
			f->ok++;
			if (done)
				violation("freezer: second freeze returned 0\n");
			done = true;
			f->froze_before_close = !atomic_load(&t->closing);
			atomic_store(&t->frozen_done, 1);
		} else if (err == EPERM) {
			f->eperm++;
			if (!done)
				violation("freezer: EPERM before its freeze succeeded\n");
		} else if (err == EBUSY) {
			f->ebusy++;
			if (!upstream || done)
				violation("freezer: EBUSY (%s) from a freeze racing writers\n",
					  done ? "after success" : "patched kernel waits");
		} else if (err == EBADF) {
			f->ebadf++;
			if (!atomic_load(&t->closing))
				violation("freezer: EBADF before the close\n");
			return NULL;
		} else {
			violation("freezer: %s\n", ename(err));
			return NULL;
		}
		if (done)	/* frozen: keep it in flight with lighter load */
			sched_yield();
	}
}

static bool test_close_last_fd(void)
{
	unsigned int n = iters(500), it;
	unsigned int v0 = atomic_load(&violations);
	struct rng r;

	rng_seed(&r, 0x7e4d0);
	for (it = 0; it < n; it++) {
		struct t1 t = { .hash = it & 1, .mode = it % 3,
				.freeze_at = rnd_below(&r, 400) };
		struct t1w w[T1_WRITERS];
		pthread_t wt[T1_WRITERS], ft;
		struct t1f f = { .t = &t };
		int fd, fds[T1_WRITERS + 2], nfds = 0;
		long want = rnd_below(&r, 400);
		double t0;

		fd = map_create(t.hash ? BPF_MAP_TYPE_HASH : BPF_MAP_TYPE_ARRAY,
				16, 0);
		if (fd < 0) {
			violation("map create: %s\n", strerror(errno));
			return false;
		}
		fds[nfds++] = fd;
		for (int k = 0; k < T1_WRITERS; k++) {
			t.wfd[k] = dup(fd);
			fds[nfds++] = t.wfd[k];
		}
		/* the freezer on the map's own fd, or on one more dup */
		if (it & 2) {
			t.ffd = fd;
		} else {
			t.ffd = dup(fd);
			fds[nfds++] = t.ffd;
		}
		for (int k = 0; k < nfds; k++)
			if (fds[k] < 0) {
				violation("dup: %s\n", strerror(errno));
				return false;
			}
		for (int k = 0; k < T1_WRITERS; k++) {
			w[k] = (struct t1w){ .t = &t, .idx = k,
					     .seed = rnd(&r) };
			pthread_create(&wt[k], NULL, t1_writer, &w[k]);
		}
		pthread_create(&ft, NULL, t1_freezer, &f);
		while (atomic_load(&t.ready) < T1_WRITERS + 1)
			sched_yield();
		atomic_store(&t.go, 1);
		/* close while they are in flight, at a random point */
		t0 = now_ms();
		/* busy: once asleep, the main thread may wait a time slice */
		while (atomic_load(&t.ops) < want &&
		       now_ms() - t0 < PHASE_MAX_MS)
			;
		if (t.mode == TOGETHER) {
			t0 = now_ms();
			while (!atomic_load(&t.close_now) &&
			       now_ms() - t0 < PHASE_MAX_MS)
				;
			spin(rnd_below(&r, 1000));
		}
		atomic_store(&t.closing, 1);
		for (int k = nfds; k > 1; k--) {	/* random order */
			int j = rnd_below(&r, k), tmp = fds[j];

			fds[j] = fds[k - 1];
			fds[k - 1] = tmp;
		}
		for (int k = 0; k < nfds; k++) {
			if (close(fds[k]))
				violation("close(%d): %s\n", fds[k], strerror(errno));
			spin(rnd_below(&r, t.mode == CLOSE_FIRST ? 20000 : 5000));
		}
		for (int k = 0; k < T1_WRITERS; k++)
			pthread_join(wt[k], NULL);
		pthread_join(ft, NULL);

		pthread_mutex_lock(&c1_lock);
		for (int k = 0; k < T1_WRITERS; k++) {
			c1.w_ok += w[k].ok;
			c1.w_enoent += w[k].enoent;
			c1.w_eperm += w[k].eperm;
			c1.w_ebadf += w[k].ebadf;
		}
		c1.f_ok += f.ok;
		c1.f_eperm += f.eperm;
		c1.f_ebusy += f.ebusy;
		c1.f_ebadf += f.ebadf;
		if (f.ok && f.froze_before_close)
			c1.freeze_before_close++;
		if (f.ok && !f.froze_before_close)
			c1.freeze_during_close++;
		if (!f.ok)
			c1.close_before_freeze++;
		pthread_mutex_unlock(&c1_lock);
	}
	ksft_print_msg("close_last_fd_during_freeze: iters=%u writers: ok=%lu enoent=%lu eperm=%lu ebadf=%lu\n",
		       it, c1.w_ok, c1.w_enoent, c1.w_eperm, c1.w_ebadf);
	ksft_print_msg("close_last_fd_during_freeze: freezer: ok=%lu eperm=%lu ebusy=%lu ebadf=%lu; frozen before the close: %lu, while closing: %lu, closed before any freeze: %lu\n",
		       c1.f_ok, c1.f_eperm, c1.f_ebusy, c1.f_ebadf,
		       c1.freeze_before_close, c1.freeze_during_close,
		       c1.close_before_freeze);
	/* the test reached both sides of the race */
	if (!c1.f_ok || !c1.w_eperm || !c1.w_ebadf || !c1.f_ebadf)
		violation("close_last_fd_during_freeze: an outcome never happened (freeze ok %lu, writer EPERM %lu, writer EBADF %lu, freezer EBADF %lu)\n",
			  c1.f_ok, c1.w_eperm, c1.w_ebadf, c1.f_ebadf);
	return atomic_load(&violations) == v0;
}

/* ------------------------------------------ 2. munmap_during_freeze */

#define T2_MAPPERS	2

struct t2 {
	int fd;
	atomic_int stop, frozen_done, stop_mappers, mappers_done;
	atomic_int holding[T2_MAPPERS];
	atomic_ulong epoch[T2_MAPPERS];
	atomic_long ops_after_freeze[T2_MAPPERS];
	atomic_long ops;
	atomic_int ready, go;
};

struct t2m {
	struct t2 *t;
	int idx;
	uint64_t seed;
	unsigned long maps, eperm, ro_maps;
	bool got_eperm;
};

static void *t2_mapper(void *arg)
{
	struct t2m *m = arg;
	struct t2 *t = m->t;
	struct rng r;

	rng_seed(&r, m->seed);
	gate(&t->ready, &t->go);
	while (!atomic_load(&t->stop) && !atomic_load(&t->stop_mappers)) {
		bool fz = atomic_load(&t->frozen_done);
		bool ro = rnd_below(&r, 8) == 0;
		volatile __u64 *p;
		int err;

		p = mmap(NULL, page, ro ? PROT_READ : PROT_READ | PROT_WRITE,
			 MAP_SHARED, t->fd, 0);
		err = p == MAP_FAILED ? errno : 0;
		atomic_fetch_add(&t->ops, 1);
		if (fz)
			atomic_fetch_add(&t->ops_after_freeze[m->idx], 1);
		if (ro) {
			if (err) {
				violation("mapper %d: read-only mmap: %s\n",
					  m->idx, ename(err));
				break;
			}
			m->ro_maps++;
			(void)p[rnd_below(&r, page / 8)];
			munmap((void *)p, page);
			continue;
		}
		if (err == EPERM) {
			/* frozen: for good */
			m->eperm++;
			m->got_eperm = true;
			continue;
		}
		if (err) {
			violation("mapper %d: writable mmap: %s\n", m->idx,
				  ename(err));
			break;
		}
		if (m->got_eperm)
			violation("mapper %d: writable mmap succeeded after EPERM\n",
				  m->idx);
		if (fz)
			violation("mapper %d: writable mmap succeeded after freeze returned 0\n",
				  m->idx);
		m->maps++;
		atomic_fetch_add(&t->epoch[m->idx], 1);
		atomic_store(&t->holding[m->idx], 1);
		p[rnd_below(&r, page / 8)] = rnd(&r);
		spin(rnd_below(&r, 1000));
		/* not holding before munmap() starts */
		atomic_store(&t->holding[m->idx], 0);
		if (munmap((void *)p, page))
			violation("mapper %d: munmap: %s\n", m->idx,
				  strerror(errno));
		/* leave gaps in which no mapping exists */
		if (rnd_below(&r, 8) == 0)
			relax();
		else
			spin(rnd_below(&r, 5000));
	}
	atomic_fetch_add(&t->mappers_done, 1);
	return NULL;
}

struct t2f {
	struct t2 *t;
	unsigned long ok, ebusy;
	bool after_stop;
};

static void *t2_freezer(void *arg)
{
	struct t2f *f = arg;
	struct t2 *t = f->t;
	double t0;

	gate(&t->ready, &t->go);
	t0 = now_ms();
	for (;;) {
		unsigned long e1[T2_MAPPERS], e2[T2_MAPPERS];
		int h1[T2_MAPPERS], h2[T2_MAPPERS], err;

		for (int k = 0; k < T2_MAPPERS; k++) {
			h1[k] = atomic_load(&t->holding[k]);
			e1[k] = atomic_load(&t->epoch[k]);
		}
		err = map_freeze(t->fd);
		for (int k = 0; k < T2_MAPPERS; k++) {
			h2[k] = atomic_load(&t->holding[k]);
			e2[k] = atomic_load(&t->epoch[k]);
		}
		if (err == EBUSY) {
			f->ebusy++;
			if (f->after_stop) {
				violation("freezer: EBUSY with every mapping gone\n");
				return NULL;
			}
			spin(f->ebusy & 1023);
			/* mappers too busy for a gap: stop them, then freeze */
			if (!f->after_stop && now_ms() - t0 > FREEZER_PATIENCE_MS) {
				atomic_store(&t->stop_mappers, 1);
				while (atomic_load(&t->mappers_done) < T2_MAPPERS)
					sched_yield();
				f->after_stop = true;
			}
			continue;
		}
		if (err) {
			violation("freezer: %s\n", ename(err));
			return NULL;
		}
		f->ok++;
		for (int k = 0; k < T2_MAPPERS; k++)
			if (h1[k] && h2[k] && e1[k] == e2[k])
				violation("freezer: freeze returned 0 while mapper %d's writable mapping lived across the call\n",
					  k);
		atomic_store(&t->frozen_done, 1);
		return NULL;
	}
}

static struct {
	unsigned long maps, ro_maps, eperm, f_ok, f_ebusy, after_stop;
	unsigned long during_churn;
} c2;

static bool check_after_freeze(int fd, __u64 key0)
{
	bool ok = true;
	__u64 v = 0;
	void *p;
	int err;

	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = p == MAP_FAILED ? errno : 0;
	if (err != EPERM) {
		violation("writable mmap after freeze: %s, expected EPERM\n",
			  ename(err));
		ok = false;
		if (!err)
			munmap(p, page);
	}
	p = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		violation("read-only mmap after freeze: %s\n", strerror(errno));
		ok = false;
	} else {
		if (map_lookup(fd, 0, &v) || v != *(volatile __u64 *)p) {
			violation("read-only mapping and lookup disagree\n");
			ok = false;
		}
		munmap(p, page);
	}
	err = map_update(fd, 0, key0);
	if (err != EPERM) {
		violation("update after freeze: %s, expected EPERM\n",
			  ename(err));
		ok = false;
	}
	err = map_freeze(fd);
	if (err != EPERM) {
		violation("second freeze: %s, expected EPERM\n", ename(err));
		ok = false;
	}
	return ok;
}

static bool test_munmap_during_freeze(void)
{
	unsigned int n = iters(200), it;
	unsigned int v0 = atomic_load(&violations);
	struct rng r;

	rng_seed(&r, 0x3a99ed);
	for (it = 0; it < n; it++) {
		struct t2 t = { 0 };
		struct t2m m[T2_MAPPERS];
		pthread_t mt[T2_MAPPERS], ft;
		struct t2f f = { .t = &t };
		double t0;

		t.fd = map_create(BPF_MAP_TYPE_ARRAY, page / 8, BPF_F_MMAPABLE);
		if (t.fd < 0) {
			violation("map create: %s\n", strerror(errno));
			return false;
		}
		for (int k = 0; k < T2_MAPPERS; k++) {
			m[k] = (struct t2m){ .t = &t, .idx = k, .seed = rnd(&r) };
			pthread_create(&mt[k], NULL, t2_mapper, &m[k]);
		}
		pthread_create(&ft, NULL, t2_freezer, &f);
		while (atomic_load(&t.ready) < T2_MAPPERS + 1)
			sched_yield();
		atomic_store(&t.go, 1);
		pthread_join(ft, NULL);
		/* a few more mmaps each, now that the map is frozen */
		t0 = now_ms();
		while (now_ms() - t0 < PHASE_MAX_MS &&
		       atomic_load(&t.mappers_done) < T2_MAPPERS &&
		       (atomic_load(&t.ops_after_freeze[0]) < 3 ||
			atomic_load(&t.ops_after_freeze[1]) < 3))
			relax();
		atomic_store(&t.stop, 1);
		for (int k = 0; k < T2_MAPPERS; k++) {
			pthread_join(mt[k], NULL);
			c2.maps += m[k].maps;
			c2.ro_maps += m[k].ro_maps;
			c2.eperm += m[k].eperm;
		}
		c2.f_ok += f.ok;
		c2.f_ebusy += f.ebusy;
		c2.after_stop += f.after_stop;
		c2.during_churn += f.ok && !f.after_stop;
		if (f.ok != 1)
			violation("iteration %u: freeze never returned 0\n", it);
		else
			check_after_freeze(t.fd, it);
		close(t.fd);
	}
	ksft_print_msg("munmap_during_freeze: iters=%u writable mmaps=%lu read-only mmaps=%lu mmap EPERM after freeze=%lu\n",
		       it, c2.maps, c2.ro_maps, c2.eperm);
	ksft_print_msg("munmap_during_freeze: freeze ok=%lu ebusy=%lu; succeeded amid the churn=%lu, only once the mappers stopped=%lu\n",
		       c2.f_ok, c2.f_ebusy, c2.during_churn, c2.after_stop);
	if (!c2.during_churn || !c2.f_ebusy || !c2.eperm)
		violation("munmap_during_freeze: an outcome never happened (freeze amid churn %lu, EBUSY %lu, mmap EPERM %lu)\n",
			  c2.during_churn, c2.f_ebusy, c2.eperm);
	return atomic_load(&violations) == v0;
}

/* -------------------------------------- 3. freeze_while_pin_unpin */

struct t3 {
	int fd;
	long freeze_at;		/* updates before the first freeze */
	char path[256];
	atomic_int stop, frozen_done;
	atomic_long pins, gets, updates;
};

static struct {
	unsigned long pins, get_ok, get_enoent, f_ok, f_eperm, f_ebusy;
	unsigned long u_ok, u_eperm, u_enoent, forced;
} c3;
static pthread_mutex_t c3_lock = PTHREAD_MUTEX_INITIALIZER;

static void *t3_pinner(void *arg)
{
	struct t3 *t = arg;
	unsigned long pins = 0;
	struct rng r;
	int err;

	rng_seed(&r, (uintptr_t)t >> 3);
	while (!atomic_load(&t->stop)) {
		/* nobody else creates the path */
		err = obj_pin(t->fd, t->path);
		if (err) {
			violation("pin: %s\n", ename(err));
			break;
		}
		pins++;
		atomic_fetch_add(&t->pins, 1);
		spin(rnd_below(&r, 5000));
		if (unlink(t->path)) {
			violation("unlink: %s\n", strerror(errno));
			break;
		}
		spin(rnd_below(&r, 5000));	/* nothing pinned */
	}
	pthread_mutex_lock(&c3_lock);
	c3.pins += pins;
	pthread_mutex_unlock(&c3_lock);
	return NULL;
}

static void *t3_freezer(void *arg)
{
	struct t3 *t = arg;
	unsigned long ok = 0, eperm = 0, ebusy = 0, got = 0, enoent = 0;
	struct rng r;

	rng_seed(&r, (uintptr_t)t);
	while (!atomic_load(&t->stop)) {
		int x = rnd_below(&r, 20), g, err;
		__u32 flags = x < 14 ? 0 : x < 17 ? BPF_F_RDONLY : BPF_F_WRONLY;

		g = obj_get(t->path, flags);
		if (g == -ENOENT) {
			enoent++;
			continue;
		}
		if (g < 0) {
			violation("freezer: BPF_OBJ_GET: %s\n", ename(-g));
			break;
		}
		got++;
		atomic_fetch_add(&t->gets, 1);
		if (atomic_load(&t->updates) < t->freeze_at) {
			close(g);	/* not yet: let the updater write */
			continue;
		}
		err = map_freeze(g);
		close(g);
		if (flags == BPF_F_RDONLY) {
			if (err != EPERM)
				violation("freezer: freeze via read-only fd: %s\n",
					  ename(err));
			eperm++;
			continue;
		}
		if (err == 0) {
			if (ok++)
				violation("freezer: second freeze returned 0\n");
			atomic_store(&t->frozen_done, 1);
		} else if (err == EPERM) {
			eperm++;
			if (!ok)
				violation("freezer: EPERM before its freeze succeeded\n");
		} else if (err == EBUSY) {
			ebusy++;
			if (!upstream || ok)
				violation("freezer: EBUSY from a freeze racing writers\n");
		} else {
			violation("freezer: freeze: %s\n", ename(err));
		}
	}
	pthread_mutex_lock(&c3_lock);
	c3.get_ok += got;
	c3.get_enoent += enoent;
	c3.f_ok += ok;
	c3.f_eperm += eperm;
	c3.f_ebusy += ebusy;
	pthread_mutex_unlock(&c3_lock);
	return NULL;
}

static void *t3_updater(void *arg)
{
	struct t3 *t = arg;
	unsigned long ok = 0, eperm = 0, enoent = 0;
	bool seen_eperm = false;
	struct rng r;

	rng_seed(&r, (uintptr_t)t >> 4);
	while (!atomic_load(&t->stop)) {
		int x = rnd_below(&r, 10), g, err;
		bool fz;

		if (x < 3) {
			g = t->fd;
		} else {
			g = obj_get(t->path, x < 8 ? 0 : BPF_F_WRONLY);
			if (g == -ENOENT) {
				enoent++;
				continue;
			}
			if (g < 0) {
				violation("updater: BPF_OBJ_GET: %s\n", ename(-g));
				break;
			}
		}
		fz = atomic_load(&t->frozen_done);
		err = map_update(g, rnd_below(&r, 4), rnd(&r));
		if (g != t->fd)
			close(g);
		atomic_fetch_add(&t->updates, 1);
		if (err == 0) {
			ok++;
			if (fz || seen_eperm)
				violation("updater: update succeeded after freeze\n");
		} else if (err == EPERM) {
			eperm++;
			seen_eperm = true;
		} else {
			violation("updater: update: %s\n", ename(err));
		}
	}
	pthread_mutex_lock(&c3_lock);
	c3.u_ok += ok;
	c3.u_eperm += eperm;
	c3.u_enoent += enoent;
	pthread_mutex_unlock(&c3_lock);
	return NULL;
}

static bool test_pin_unpin(void)
{
	unsigned int n = iters(200), it;
	unsigned int v0 = atomic_load(&violations);
	struct statfs st;

	if (statfs(bpffs, &st) || st.f_type != BPF_FS_MAGIC) {
		violation("%s is not a bpffs mount (BPFFS_DIR)\n", bpffs);
		return false;
	}
	for (it = 0; it < n; it++) {
		struct t3 t = { .freeze_at = it % 64 };
		pthread_t th[3];
		double t0;
		int g, err;

		snprintf(t.path, sizeof(t.path), "%s/freeze_teardown_%d",
			 bpffs, getpid());
		unlink(t.path);
		t.fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 0);
		if (t.fd < 0) {
			violation("map create: %s\n", strerror(errno));
			return false;
		}
		pthread_create(&th[0], NULL, t3_pinner, &t);
		pthread_create(&th[1], NULL, t3_freezer, &t);
		pthread_create(&th[2], NULL, t3_updater, &t);
		/* until frozen through a BPF_OBJ_GET fd, and some more */
		t0 = now_ms();
		while (now_ms() - t0 < PHASE_MAX_MS &&
		       (!atomic_load(&t.frozen_done) ||
			atomic_load(&t.pins) < 20 ||
			atomic_load(&t.updates) < 20))
			relax();
		atomic_store(&t.stop, 1);
		for (int k = 0; k < 3; k++)
			pthread_join(th[k], NULL);
		if (!atomic_load(&t.frozen_done)) {
			/* never got the pin in time: freeze by the map's fd */
			c3.forced++;
			err = map_freeze(t.fd);
			if (err)
				violation("iteration %u: freeze: %s\n", it,
					  ename(err));
		}
		/* pinned again, BPF_OBJ_GET's fd refuses to write */
		unlink(t.path);
		err = obj_pin(t.fd, t.path);
		if (err)
			violation("pin after freeze: %s\n", ename(err));
		g = obj_get(t.path, 0);
		if (g < 0) {
			violation("BPF_OBJ_GET after freeze: %s\n", ename(-g));
		} else {
			err = map_update(g, 0, 1);
			if (err != EPERM)
				violation("update via BPF_OBJ_GET fd after freeze: %s, expected EPERM\n",
					  ename(err));
			err = map_freeze(g);
			if (err != EPERM)
				violation("freeze via BPF_OBJ_GET fd after freeze: %s, expected EPERM\n",
					  ename(err));
			close(g);
		}
		if (unlink(t.path))
			violation("unlink after the test: %s\n", strerror(errno));
		close(t.fd);
	}
	ksft_print_msg("freeze_while_pin_unpin: iters=%u pins=%lu obj_get: ok=%lu enoent=%lu\n",
		       it, c3.pins, c3.get_ok, c3.get_enoent);
	ksft_print_msg("freeze_while_pin_unpin: freezer: ok=%lu eperm=%lu ebusy=%lu; updater: ok=%lu eperm=%lu enoent=%lu; frozen by the map's own fd (no pin in time)=%lu\n",
		       c3.f_ok, c3.f_eperm, c3.f_ebusy, c3.u_ok, c3.u_eperm,
		       c3.u_enoent, c3.forced);
	if (!c3.f_ok || !c3.u_eperm || !c3.get_enoent)
		violation("freeze_while_pin_unpin: an outcome never happened (freeze via BPF_OBJ_GET %lu, update EPERM %lu, BPF_OBJ_GET ENOENT %lu)\n",
			  c3.f_ok, c3.u_eperm, c3.get_enoent);
	return atomic_load(&violations) == v0;
}

/* ----------------------------------------------------------------- main */

static void run(unsigned int nr, const char *name, bool (*fn)(void))
{
	double t0 = now_ms();
	bool ok;

	watchdog_arm(nr, name, WATCHDOG_S);
	atomic_store(&reported, 0);
	ok = fn();
	alarm(0);
	ksft_print_msg("%s: %.1f s\n", name, (now_ms() - t0) / 1e3);
	ksft_test_result(ok, "%s\n", name);
}

int main(void)
{
	const char *s;
	long cpus;
	int fd;

	ksft_print_header();
	ksft_set_plan(4);
	page = sysconf(_SC_PAGESIZE);
	upstream = (s = getenv("FREEZE_UPSTREAM")) && !strcmp(s, "1");
	if ((s = getenv("BPFFS_DIR")) && *s)
		bpffs = s;
	if ((s = getenv("TEARDOWN_ITERS")) && *s) {
		char *end;

		errno = 0;
		iters_override = strtoul(s, &end, 0);
		if (errno || *end || !iters_override)
			ksft_exit_fail_msg("bad TEARDOWN_ITERS '%s'\n", s);
	}
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	ksft_print_msg("cpus=%ld mode=%s iters=%s bpffs=%s\n", cpus,
		       upstream ? "upstream (FREEZE_UPSTREAM=1: freezer EBUSY accepted in tests 1 and 3)" :
		       "patched (no EBUSY from freezes racing writers)",
		       iters_override ? s : "default", bpffs);
	fd = map_create(BPF_MAP_TYPE_ARRAY, 1, 0);
	if (fd < 0)
		ksft_print_msg("BPF_MAP_CREATE: %s\n", strerror(errno));
	else
		close(fd);
	if (cpus < 2)
		ksft_print_msg("need at least 2 CPUs online, have %ld\n", cpus);
	ksft_test_result(cpus >= 2 && fd >= 0, "preconditions\n");

	run(2, "close_last_fd_during_freeze", test_close_last_fd);
	run(3, "munmap_during_freeze", test_munmap_during_freeze);
	run(4, "freeze_while_pin_unpin", test_pin_unpin);
	ksft_finished();
}
