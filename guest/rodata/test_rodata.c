// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_MAP_FREEZE as libbpf uses it: .rodata is frozen before the program is
 * loaded, so that the verifier can trust its contents as constants.
 *
 * rodata.bpf.c takes an out-of-bounds map read unless the .rodata variable
 * oob_read is 0: the program loads only because the verifier read that 0
 * from the frozen map and pruned the branch. The same object with
 * oob_read = 1 must be rejected with -EACCES.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kselftest.h"
#include "rodata.skel.h"

#define ANSWER		42
#define SENTINEL	0xdeadbeefULL
/* what the verifier says about val[16] of an 8-byte map value */
#define OOB_MSG		"invalid access to map value, value_size=8 off=128 size=8"

static bool test_failed;
static bool libbpf_quiet;

#define FAIL(fmt, ...) do {						\
	test_failed = true;						\
	ksft_print_msg("%s:%d: " fmt "\n", __func__, __LINE__,		\
		       ##__VA_ARGS__);					\
} while (0)

#define ASSERT_EQ(actual, expected, what) ({				\
	long long ___a = (long long)(actual);				\
	long long ___e = (long long)(expected);				\
	bool ___ok = ___a == ___e;					\
	if (!___ok)							\
		FAIL("%s: expected %lld (%#llx), got %lld (%#llx)",	\
		     (what), ___e, ___e, ___a, ___a);			\
	___ok;								\
})

/* libbpf calls return 0 or -errno */
#define ASSERT_OK(ret, what) ({						\
	int ___r = (ret);						\
	bool ___ok = ___r == 0;						\
	if (!___ok)							\
		FAIL("%s: expected 0, got %d (%s)", (what), ___r,	\
		     errname(-___r));					\
	___ok;								\
})

/* the call must return -@err and leave @err in errno */
#define ASSERT_ERR(ret, err, what) ({					\
	int ___r = (ret);						\
	int ___en = errno;						\
	int ___x = (err);						\
	bool ___ok = ___r == -___x && ___en == ___x;			\
	if (!___ok)							\
		FAIL("%s: expected -%s, got %d (%s), errno %s",		\
		     (what), errname(___x), ___r,			\
		     ___r < 0 ? errname(-___r) : "success",		\
		     errname(___en));					\
	___ok;								\
})

static const char *errname(int err)
{
	const char *name = err > 0 ? strerrorname_np(err) : NULL;

	return name ?: (err ? "?" : "0");
}

/* libbpf's messages as TAP diagnostics, one "# " per line */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	char *buf, *line, *save;

	if (level == LIBBPF_DEBUG || libbpf_quiet)
		return 0;
	if (vasprintf(&buf, fmt, ap) < 0)
		return 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		printf("# %s\n", line);
	free(buf);
	return 0;
}

/* the "frozen:" field of the map's fdinfo: 0, 1, or -1 when missing */
static int fdinfo_frozen(int fd)
{
	char path[64], buf[4096], *p;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	if (f < 0) {
		FAIL("open %s: %s", path, strerror(errno));
		return -1;
	}
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n < 0) {
		FAIL("read %s: %s", path, strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	p = strstr(buf, "\nfrozen:\t");
	if (!p) {
		FAIL("no frozen field in %s", path);
		return -1;
	}
	p += strlen("\nfrozen:\t");
	if ((p[0] == '0' || p[0] == '1') && p[1] == '\n')
		return p[0] - '0';
	FAIL("unexpected frozen field in %s: '%.8s'", path, p);
	return -1;
}

/* (a) libbpf froze .rodata, which the kernel reports in fdinfo */
static bool test_rodata_frozen(struct rodata_bpf *skel)
{
	struct bpf_map *map = skel->maps.rodata;
	bool ok;

	ok = ASSERT_EQ(bpf_map__map_flags(map) & BPF_F_RDONLY_PROG,
		       BPF_F_RDONLY_PROG, ".rodata map_flags & BPF_F_RDONLY_PROG");
	ok &= ASSERT_EQ(fdinfo_frozen(bpf_map__fd(map)), 1,
			".rodata fdinfo frozen");
	return ok;
}

/* (b) no syscall write to the frozen .rodata, and reads still work */
static bool test_rodata_update_eperm(struct rodata_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.rodata);
	struct rodata_bpf__rodata val = { .oob_read = 1, .answer = 7 };
	__u32 key = 0;
	bool ok;

	ASSERT_EQ(bpf_map__value_size(skel->maps.rodata), sizeof(val),
		  ".rodata value size");
	ok = ASSERT_ERR(bpf_map_update_elem(fd, &key, &val, BPF_ANY), EPERM,
			"update .rodata");
	memset(&val, 0xff, sizeof(val));
	ok &= ASSERT_OK(bpf_map_lookup_elem(fd, &key, &val), "lookup .rodata");
	ok &= ASSERT_EQ(val.oob_read, 0, ".rodata oob_read after update");
	ok &= ASSERT_EQ(val.answer, ANSWER, ".rodata answer after update");
	return ok;
}

/*
 * (c) the verifier used the frozen value: skel loaded with oob_read = 0;
 * the same object with oob_read = 1 is rejected for the out-of-bounds read.
 */
static bool test_verifier_pruned(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	static char log[64 * 1024];
	struct rodata_bpf *bad;
	bool ok;
	int err;

	opts.kernel_log_buf = log;
	opts.kernel_log_size = sizeof(log);
	bad = rodata_bpf__open_opts(&opts);
	if (!bad) {
		FAIL("rodata_bpf__open_opts: %s", strerror(errno));
		return false;
	}
	bad->rodata->oob_read = 1;
	bad->rodata->answer = ANSWER;
	libbpf_quiet = true;
	err = rodata_bpf__load(bad);
	libbpf_quiet = false;
	ok = ASSERT_ERR(err, EACCES, "load with oob_read = 1");
	if (!strstr(log, OOB_MSG)) {
		char *line, *save;

		FAIL("verifier log lacks \"%s\"; log:", OOB_MSG);
		for (line = strtok_r(log, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			ksft_print_msg("  %s\n", line);
		ok = false;
	}
	rodata_bpf__destroy(bad);
	return ok;
}

/* an Ethernet frame of zeroes, big enough for BPF_PROG_TEST_RUN */
static const char pkt[64];

static int run_prog(struct rodata_bpf *skel, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts,
		    .data_in = pkt,
		    .data_size_in = sizeof(pkt),
		    .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.rodata_prog),
				     &topts);
	*retval = topts.retval;
	return err;
}

/* (d) BPF_PROG_TEST_RUN returns the .rodata constant */
static bool test_run_retval(struct rodata_bpf *skel)
{
	__u32 retval = ~0U;
	bool ok;

	ok = ASSERT_OK(run_prog(skel, &retval), "bpf_prog_test_run_opts");
	ok &= ASSERT_EQ(retval, ANSWER, "program return value");
	return ok;
}

/* (e) freeze is for the syscall side: the program still writes the map */
static bool test_prog_writes_frozen_map(struct rodata_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.frozen);
	__u64 val = SENTINEL;
	__u32 key = 0, retval = ~0U;
	bool ok;

	ok = ASSERT_EQ(bpf_map__map_flags(skel->maps.frozen) &
		       (BPF_F_RDONLY_PROG | BPF_F_RDONLY), 0,
		       "frozen map is writable by programs");
	ok &= ASSERT_OK(bpf_map_update_elem(fd, &key, &val, BPF_ANY),
			"update before freeze");
	ok &= ASSERT_OK(bpf_map_freeze(fd), "freeze");
	ok &= ASSERT_EQ(fdinfo_frozen(fd), 1, "fdinfo frozen after freeze");
	val = 1;
	ok &= ASSERT_ERR(bpf_map_update_elem(fd, &key, &val, BPF_ANY), EPERM,
			 "update after freeze");
	ok &= ASSERT_OK(bpf_map_lookup_elem(fd, &key, &val),
			"lookup before the run");
	ok &= ASSERT_EQ(val, SENTINEL, "value before the run");

	ok &= ASSERT_OK(run_prog(skel, &retval), "bpf_prog_test_run_opts");
	ok &= ASSERT_EQ(retval, ANSWER, "program return value");
	ok &= ASSERT_OK(bpf_map_lookup_elem(fd, &key, &val),
			"lookup after the run");
	ok &= ASSERT_EQ(val, ANSWER, "value written by the program");
	return ok;
}

static void report(bool ok, const char *name)
{
	ksft_test_result(ok && !test_failed, "%s\n", name);
	test_failed = false;
}

int main(void)
{
	struct rodata_bpf *skel;
	int err;

	ksft_print_header();
	ksft_set_plan(5);
	libbpf_set_print(libbpf_print);

	skel = rodata_bpf__open();
	if (!skel)
		ksft_exit_fail_msg("rodata_bpf__open: %s\n", strerror(errno));
	skel->rodata->oob_read = 0;
	skel->rodata->answer = ANSWER;
	err = rodata_bpf__load(skel);
	if (err)
		ksft_exit_fail_msg("load with oob_read = 0: %d (%s)\n", err,
				   errname(-err));

	report(test_rodata_frozen(skel), "rodata_frozen");
	report(test_rodata_update_eperm(skel), "rodata_update_eperm");
	report(test_verifier_pruned(), "verifier_pruned_on_rodata");
	report(test_run_retval(skel), "test_run_retval");
	report(test_prog_writes_frozen_map(skel), "prog_writes_frozen_map");

	rodata_bpf__destroy(skel);
	ksft_finished();
}
