// SPDX-License-Identifier: GPL-2.0
/* make run: create a map, write it, freeze it, and show that the next write
 * from the syscall side is refused with EPERM while reads still work.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>

static int step(const char *what, int ret)
{
	printf("  %-34s -> %s\n", what, ret ? strerror(-ret) : "ok");
	return ret;
}

int main(void)
{
	__u32 key = 0;
	__u64 val = 42, got = 0;
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "demo", sizeof(key),
			    sizeof(val), 1, NULL);
	if (fd < 0) {
		printf("bpf_map_create: %s\n", strerror(-fd));
		return 1;
	}
	printf("BPF_MAP_FREEZE demo on map fd %d:\n", fd);
	step("update key 0 = 42", bpf_map_update_elem(fd, &key, &val, 0));
	if (step("freeze", bpf_map_freeze(fd)))
		return 1;
	val = 43;
	if (step("update key 0 = 43 (after freeze)",
		 bpf_map_update_elem(fd, &key, &val, 0)) != -EPERM) {
		printf("FAIL: expected EPERM after freeze\n");
		return 1;
	}
	step("lookup key 0", bpf_map_lookup_elem(fd, &key, &got));
	printf("  value is still %llu\n", (unsigned long long)got);
	printf("  freeze again                       -> %s\n",
	       strerror(-bpf_map_freeze(fd)));
	return got == 42 ? 0 : 1;
}
