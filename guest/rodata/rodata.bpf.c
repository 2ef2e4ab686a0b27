// SPDX-License-Identifier: GPL-2.0
/*
 * A socket filter whose verification depends on .rodata: libbpf freezes the
 * .rodata map (BPF_F_RDONLY_PROG) before it loads the program, so the
 * verifier reads oob_read and answer from the map as known constants.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Set through the skeleton before load (test_rodata.c). */
const volatile __u32 oob_read = 1;
const volatile __u32 answer;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} data SEC(".maps");

/* A regular array: userspace freezes it, the program still writes it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} frozen SEC(".maps");

SEC("socket")
int rodata_prog(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *val;

	if (oob_read) {
		val = bpf_map_lookup_elem(&data, &key);
		if (!val)
			return 0;
		/*
		 * 128 bytes past the end of an 8-byte value: the verifier
		 * rejects this (-EACCES) unless it knows, from the frozen
		 * .rodata, that the branch is never taken.
		 */
		return val[16];
	}

	val = bpf_map_lookup_elem(&frozen, &key);
	if (val)
		*val = answer;
	return answer;
}

char _license[] SEC("license") = "GPL";
