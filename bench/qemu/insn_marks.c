// SPDX-License-Identifier: GPL-2.0
/*
 * insn_marks: a QEMU TCG plugin that counts the guest instructions executed
 * between marks that a guest program places around the operations it
 * measures (make bench's instruction counts, bench/guest/map_bench.c's
 * "insn" group).
 *
 * A mark is the 7-byte no-op "nopl 0x5a52MMMM(%rax)" (0f 1f 80 MM MM 52 5a)
 * at a user-space address: MMMM = 2 * region for the region's beginning,
 * 2 * region + 1 for its end. Every guest instruction adds one to a counter
 * (an inline add per instruction, so a block left early by an exception
 * counts only what ran); a begin mark takes the counter, the end mark adds
 * the difference to the region's total. What runs in between on the CPU,
 * interrupts included, is counted: the guest must have one vCPU, and the
 * plugin refuses to load otherwise. The counts do not depend on the host's
 * load, unlike TCG's timing, but they are instructions as TCG executes them,
 * not as a CPU retires them: a locked or fenced instruction weighs as much
 * as any other, each iteration of a rep-prefixed string instruction counts
 * once (QEMU 7.2 loops back to the instruction), and an instruction that
 * faults counts again when it is restarted. For one operation these are
 * alike on every kernel, so the difference between two kernels is the
 * difference in the instructions they run. Locked instructions, which cost
 * far more than others on a real CPU, are also counted on their own: those
 * with a lock prefix, and xchg with a memory operand (locked implicitly).
 *
 * At exit, one line per region that was entered, on the QEMU log (-d plugin
 * -D FILE):
 *   insn_marks region R calls C insns S median M locked L
 * S is the total over the C calls, M the median call's count (the upper
 * median for an even C): an interrupt that falls into a few calls moves the
 * total but not the median; L is the median call's count of locked
 * instructions, taken the same way. Then "insn_marks errors E" if a mark came out of
 * order (a begin of an open region or an end of a closed one; such an end is
 * not counted), and "insn_marks nomem" if a call's count could not be kept.
 *
 * Build (qemu-plugin.h of the QEMU that loads it, API version 1):
 *   clang -O2 -Wall -shared -fPIC -I<dir of qemu-plugin.h> insn_marks.c \
 *      -o libinsn_marks.so
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define NR_REGIONS	16
#define MARK_LEN	7
#define USER_TOP	(1ULL << 47)	/* x86-64 user addresses are below */

static uint64_t insns;	/* instructions executed by the one vCPU */
static uint64_t locked;	/* of which locked */

static struct region {
	bool open;
	uint64_t begin, begin_locked, calls, insns;
	uint64_t *each;		/* each call's count, for the median */
	uint64_t *each_locked;	/* each call's locked instructions */
	size_t cap;
} regions[NR_REGIONS];
static uint64_t errors;
static bool nomem;

/* Make *p hold cap counts; false (and *p as it was) if out of memory. */
static bool grow(uint64_t **p, size_t cap)
{
	uint64_t *n = realloc(*p, cap * sizeof(**p));

	if (!n)
		return false;
	*p = n;
	return true;
}

static void record(struct region *r, uint64_t n, uint64_t nlocked)
{
	if (r->calls == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 4096;

		if (!grow(&r->each, cap) || !grow(&r->each_locked, cap)) {
			nomem = true;
			return;
		}
		r->cap = cap;
	}
	r->each_locked[r->calls] = nlocked;
	r->each[r->calls++] = n;
	r->insns += n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void mark(unsigned int vcpu_index, void *udata)
{
	uintptr_t m = (uintptr_t)udata;
	struct region *r = &regions[m / 2];

	if (!(m & 1)) {
		errors += r->open;
		r->open = true;
		r->begin = insns;
		r->begin_locked = locked;
	} else if (!r->open) {
		errors++;
	} else {
		r->open = false;
		record(r, insns - r->begin, locked - r->begin_locked);
	}
}

/* MARK's number if insn is a mark at a user address, else -1. */
static int mark_of(struct qemu_plugin_insn *insn)
{
	const uint8_t *b = qemu_plugin_insn_data(insn);
	unsigned int m;

	if (qemu_plugin_insn_vaddr(insn) >= USER_TOP ||
	    qemu_plugin_insn_size(insn) != MARK_LEN ||
	    b[0] != 0x0f || b[1] != 0x1f || b[2] != 0x80 ||
	    b[5] != 0x52 || b[6] != 0x5a)
		return -1;
	m = b[3] | b[4] << 8;
	return m < 2 * NR_REGIONS ? (int)m : -1;
}

/*
 * Whether insn is locked: a lock prefix (F0) among its legacy prefixes, or
 * xchg (86, 87) with a memory operand. x86-64 puts REX after the legacy
 * prefixes, right before the opcode.
 */
static bool is_locked(struct qemu_plugin_insn *insn)
{
	const uint8_t *b = qemu_plugin_insn_data(insn);
	size_t i, n = qemu_plugin_insn_size(insn);

	for (i = 0; i < n; i++) {
		switch (b[i]) {
		case 0xf0:
			return true;
		case 0xf2: case 0xf3: case 0x2e: case 0x36: case 0x3e:
		case 0x26: case 0x64: case 0x65: case 0x66: case 0x67:
			continue;
		}
		break;
	}
	if (i < n && (b[i] & 0xf0) == 0x40)	/* REX */
		i++;
	return i + 1 < n && (b[i] == 0x86 || b[i] == 0x87) &&
	       (b[i + 1] & 0xc0) != 0xc0;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);

	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		int m = mark_of(insn);

		/* Whether a mark's callback sees its own add or not, begin
		 * and end marks see it alike: the difference is exact.
		 */
		if (m >= 0)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, mark,
				QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)m);
		qemu_plugin_register_vcpu_insn_exec_inline(insn,
			QEMU_PLUGIN_INLINE_ADD_U64, &insns, 1);
		if (is_locked(insn))
			qemu_plugin_register_vcpu_insn_exec_inline(insn,
				QEMU_PLUGIN_INLINE_ADD_U64, &locked, 1);
	}
}

static void report(qemu_plugin_id_t id, void *p)
{
	char line[160];
	int r;

	for (r = 0; r < NR_REGIONS; r++) {
		struct region *g = &regions[r];

		if (!g->calls)
			continue;
		qsort(g->each, g->calls, sizeof(*g->each), cmp_u64);
		qsort(g->each_locked, g->calls, sizeof(*g->each_locked),
		      cmp_u64);
		snprintf(line, sizeof(line),
			 "insn_marks region %d calls %" PRIu64 " insns %" PRIu64
			 " median %" PRIu64 " locked %" PRIu64 "\n",
			 r, g->calls, g->insns, g->each[g->calls / 2],
			 g->each_locked[g->calls / 2]);
		qemu_plugin_outs(line);
	}
	if (nomem)
		qemu_plugin_outs("insn_marks nomem\n");
	if (errors) {
		snprintf(line, sizeof(line), "insn_marks errors %" PRIu64 "\n",
			 errors);
		qemu_plugin_outs(line);
	}
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	if (!info->system_emulation || info->system.smp_vcpus != 1 ||
	    info->system.max_vcpus != 1) {
		fprintf(stderr, "insn_marks: needs system emulation with one vCPU (-smp 1)\n");
		return -1;
	}
	if (strcmp(info->target_name, "x86_64")) {
		fprintf(stderr, "insn_marks: x86_64 guests only, not %s\n",
			info->target_name);
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, report, NULL);
	return 0;
}
