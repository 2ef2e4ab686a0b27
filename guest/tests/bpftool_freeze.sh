#!/bin/sh
# BPF_MAP_FREEZE through bpftool, as a user would run it: create and pin an
# array, write it, freeze it, and check that the next write is refused with
# EPERM, that bpftool reports the map frozen and that reads still work.
# TAP output; exits non-zero if any test fails.
BPFFS=/sys/fs/bpf
PIN=$BPFFS/freeze_demo
OUT=/tmp/bpftool_freeze.out
ERR=/tmp/bpftool_freeze.err
n=0
failed=0

# result NAME RC: "ok"/"not ok" for NAME, RC 0 meaning success
result() {
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $n $1"
	else
		echo "not ok $n $1"
		failed=1
	fi
}

# run CMD...: run CMD with stdout in $OUT and stderr in $ERR, echoed as TAP
# diagnostics; returns CMD's exit code
run() {
	"$@" >"$OUT" 2>"$ERR"
	rc=$?
	echo "# \$ $* -> exit $rc"
	sed 's/^/#   /' "$OUT" "$ERR"
	return $rc
}

# expect WHAT GOT WANT: 0 if GOT is WANT, else print both and return 1
expect() {
	[ "$2" = "$3" ] && return 0
	echo "# $1: expected '$3', got '$2'"
	return 1
}

echo "TAP version 13"
echo "1..9"

grep -q "^bpf $BPFFS bpf " /proc/mounts
rc=$?
[ $rc -eq 0 ] || echo "# no bpffs at $BPFFS in /proc/mounts"
result bpffs_mounted $rc

rm -f "$PIN"
run bpftool map create "$PIN" type array key 4 value 4 entries 1 name freeze_demo
rc=$?
[ $rc -ne 0 ] || [ -e "$PIN" ] || { echo "# $PIN missing"; rc=1; }
result map_create $rc

run bpftool -j map show pinned "$PIN" &&
	grep -q '"name":"freeze_demo",' "$OUT" && grep -q '"frozen":0[,}]' "$OUT"
result map_show_not_frozen $?

run bpftool map update pinned "$PIN" key 0 0 0 0 value 1 0 0 0
result map_update $?

run bpftool map freeze pinned "$PIN"
result map_freeze $?

# must fail, with bpftool's message for EPERM
run bpftool map update pinned "$PIN" key 0 0 0 0 value 2 0 0 0
rc=$?
expect "update after freeze: exit code != 0" "$([ $rc -ne 0 ] && echo yes)" yes &&
	expect "update after freeze: stderr" "$(cat "$ERR")" \
		"Error: update failed: Operation not permitted"
result map_update_after_freeze_eperm $?

# plain output: "frozen" alone on the map's last line, after a tab
run bpftool map show pinned "$PIN" &&
	expect "map show: last line" "$(tail -n 1 "$OUT")" "$(printf '\tfrozen')" &&
	run bpftool -j map show pinned "$PIN" && grep -q '"frozen":1[,}]' "$OUT"
result map_show_frozen $?

run bpftool map lookup pinned "$PIN" key 0 0 0 0 &&
	expect "lookup" "$(cat "$OUT")" "key: 00 00 00 00  value: 01 00 00 00"
result map_lookup_after_freeze $?

run bpftool map freeze pinned "$PIN"
rc=$?
expect "freeze again: exit code != 0" "$([ $rc -ne 0 ] && echo yes)" yes &&
	expect "freeze again: stderr" "$(cat "$ERR")" \
		"Error: failed to freeze map: Operation not permitted"
result map_freeze_again_eperm $?

rm -f "$PIN" "$OUT" "$ERR"
exit $failed
