#!/bin/sh
# make run: show BPF_MAP_FREEZE on the patched kernel, from C (freeze_demo)
# and then with bpftool as a user would type it. Fails unless the write after
# freeze is refused with EPERM both times.
PIN=/sys/fs/bpf/freeze_demo
OUT=/tmp/demo.out

# show CMD...: CMD as typed at a root prompt, then its stdout and stderr;
# returns CMD's exit code
show() {
	echo "  # $*"
	"$@" >"$OUT" 2>&1
	r=$?
	sed 's/^/  /' "$OUT"
	return $r
}

echo "<<<demo>>>"
/guest/freeze_demo
rc=$?

echo
echo "The same with bpftool, on an array pinned in bpffs:"
show bpftool map create $PIN type array key 4 value 4 entries 1 name freeze_demo || rc=1
show bpftool map update pinned $PIN key 0 0 0 0 value 1 0 0 0 || rc=1
show bpftool map freeze pinned $PIN || rc=1
if show bpftool map update pinned $PIN key 0 0 0 0 value 2 0 0 0 ||
	! grep -q "Operation not permitted" "$OUT"; then
	echo "FAIL: expected the update after freeze to fail with EPERM"
	rc=1
fi
show bpftool map show pinned $PIN || rc=1
show bpftool map lookup pinned $PIN key 0 0 0 0 || rc=1
rm -f $PIN "$OUT"
echo "<<<end demo rc=$rc>>>"
