// SPDX-License-Identifier: GPL-2.0
/*
 * The guest side of make check-debug's lockdep test: freeze_lockdep_run
 * MODULE. Creates a sockmap and a listening TCP socket, puts the socket in
 * the map (a syscall-side writer that takes the socket's lock while it is
 * counted: lockdep learns writer -> sk_lock), then loads MODULE, which
 * freezes the map with the socket locked (sk_lock -> freeze). Prints what
 * each step returned; the host (scripts/lockdep-check.sh) expects 0 from
 * each, lockdep still on before the load, and lockdep's report after it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int debug_locks(void)
{
	char line[128];
	int v = -1;
	FILE *f = fopen("/proc/lockdep_stats", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " debug_locks: %d", &v) == 1)
			break;
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	union bpf_attr attr;
	char params[64];
	int map, sock, mod, key = 0, err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MODULE\n", argv[0]);
		return 2;
	}
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_SOCKMAP;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	map = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	printf("freeze_lockdep: map_create: %d\n", map < 0 ? -errno : 0);
	sock = socket(AF_INET, SOCK_STREAM, 0);
	if (map < 0 || sock < 0 ||
	    bind(sock, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(sock, 1)) {
		printf("freeze_lockdep: socket: %d\n", -errno);
		return 1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (unsigned long)&key;
	attr.value = (unsigned long)&sock;
	err = syscall(SYS_bpf, BPF_MAP_UPDATE_ELEM, &attr, sizeof(attr));
	printf("freeze_lockdep: sockmap update: %d\n", err ? -errno : 0);
	printf("freeze_lockdep: debug_locks before the load: %d\n",
	       debug_locks());
	fflush(stdout);
	mod = open(argv[1], O_RDONLY | O_CLOEXEC);
	snprintf(params, sizeof(params), "map_fd=%d sock_fd=%d", map, sock);
	err = mod < 0 ? -1 : syscall(SYS_finit_module, mod, params, 0);
	printf("freeze_lockdep: load: %d\n", err ? -errno : 0);
	printf("freeze_lockdep: debug_locks after the load: %d\n",
	       debug_locks());
	return 0;
}
