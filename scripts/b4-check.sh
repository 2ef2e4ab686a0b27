#!/usr/bin/env bash
# b4 beside the harness's own gates: each part of the series
# (series/SERIES/parts) becomes a b4 prep branch in a scratch clone of the
# tree (build/SERIES/b4): enrolled on the part before it (the first on the
# base), its cover letter (series/SERIES/DIR/cover-letter.txt) as the branch
# description, its subject prefixes set; then `b4 prep --check` runs
# checkpatch.pl --strict on each of its patches as b4 sends them. One result
# per part: PASS when b4 counts no warning and no error.
# The patches themselves are exported by scripts/export.sh (git format-patch):
# `b4 prep -p` would add b4's change-id, which is new in every clone, so the
# export would not be byte-identical from one run to the next.
# usage: b4-check.sh RESULTS
set -uo pipefail
. "$(dirname "$0")/lib.sh"

results=$1
scratch=$BUILD/b4
command -v b4 >/dev/null || die "b4 not found (scripts/deps.sh installs it)"
rm -rf "$scratch"
git clone -q --no-checkout "$KSRC" "$scratch" || die "clone of ${KSRC#"$TOP"/} failed"
cd "$scratch" || exit 1
git config user.name "$(git log -1 --format=%an origin/series)"
git config user.email "$(git log -1 --format=%ae origin/series)"
git config b4.prep-cover-strategy branch-description
# As scripts/checkpatch.sh runs it (which says why these two are ignored),
# with Debian's python3 first on PATH, which has ply for spdxcheck.py (b4's
# own Python may put itself first).
git config b4.prep-perpatch-check-cmd \
	"/usr/bin/env PATH=/usr/bin:/bin ./scripts/checkpatch.pl -q --terse --no-summary --mailback --showfile --strict --ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES"
git branch -q b4-base base
if ! tips=$(series_part_tips . origin/series 2>"$LOGS/b4-parts.log"); then
	add_result "$results" FAIL "b4/$SERIES/parts" "$(cat "$LOGS/b4-parts.log")"
	exit 1
fi
fail=0 prev=b4-base
while read -r dir count tip prefix; do
	name=b4/$SERIES/$dir
	log=$LOGS/b4-$dir.log
	# prefix "RFC PATCH bpf-next" -> b4's extra prefixes "RFC bpf-next"
	read -r -a extra <<<"${prefix/PATCH/}"
	if ! {
		git checkout -q -B "$dir" "$tip" &&
			b4 prep -e "$prev" &&
			git config "branch.$dir.description" "$(cat "$TOP/series/$SERIES/$dir/cover-letter.txt")" &&
			b4 prep --set-prefixes "${extra[@]}"
	} >"$log" 2>&1; then
		add_result "$results" FAIL "$name" "could not enroll the part, see ${log#"$TOP"/}"
		fail=1
		prev=$dir
		continue
	fi
	b4 prep --check >>"$log" 2>&1
	summary=$(grep -E '^Success: [0-9]+, Warning: [0-9]+, Error: [0-9]+' "$log" | tail -n1)
	if [[ $summary =~ ^Success:\ ([0-9]+),\ Warning:\ 0,\ Error:\ 0 ]] &&
		((BASH_REMATCH[1] == count)); then
		add_result "$results" PASS "$name" "$count patch(es): $summary"
	else
		add_result "$results" FAIL "$name" "${summary:-no summary}, see ${log#"$TOP"/}"
		fail=1
	fi
	prev=$dir
done <<<"$tips"
exit $fail
