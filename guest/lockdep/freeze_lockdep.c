// SPDX-License-Identifier: GPL-2.0
/*
 * make check-debug's lockdep test (scripts/lockdep-check.sh), built against
 * the debug kernel only: BPF_MAP_FREEZE called with a socket's lock held,
 * which the map's syscall-side writers take while they are counted (a
 * sockmap update, which freeze_lockdep_run made before loading this). A
 * freeze waits for those writers, so this nesting can deadlock, and lockdep
 * must report it even though no writer is in flight now.
 *
 * map_fd and sock_fd name the map and the socket in the fd table of the task
 * that loads the module.
 */

#include <linux/bpf.h>
#include <linux/module.h>
#include <linux/net.h>
#include <net/sock.h>

/* Exported for light skeletons in modules; declared in skel_internal.h. */
int kern_sys_bpf(int cmd, union bpf_attr *attr, unsigned int size);

static int map_fd = -1;
module_param(map_fd, int, 0);
static int sock_fd = -1;
module_param(sock_fd, int, 0);

static int __init freeze_lockdep_init(void)
{
	union bpf_attr attr = { .map_fd = map_fd };
	struct socket *sock;
	int err;

	sock = sockfd_lookup(sock_fd, &err);
	if (!sock)
		return err;
	lock_sock(sock->sk);
	err = kern_sys_bpf(BPF_MAP_FREEZE, &attr, sizeof(attr));
	release_sock(sock->sk);
	sockfd_put(sock);
	pr_info("freeze_lockdep: BPF_MAP_FREEZE with the socket locked: %d\n",
		err);
	return err;
}
module_init(freeze_lockdep_init);

MODULE_DESCRIPTION("BPF_MAP_FREEZE under a lock its writers take, for lockdep");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("BPF_INTERNAL");
