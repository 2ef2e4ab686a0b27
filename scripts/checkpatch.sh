#!/usr/bin/env bash
# checkpatch.pl --strict over every patch of the series.
# usage: checkpatch.sh [RESULTS]  (appends one result per patch to RESULTS)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

results=${1:-}
# UNKNOWN_COMMIT_ID: build/linux has no upstream history, so checkpatch
# cannot look up the upstream commits that the commit messages cite; each
# cited id was checked against upstream by hand.
# FILE_PATH_CHANGES: checkpatch asks whether MAINTAINERS needs updating for
# every added file; instead, each file a patch adds must have a maintainer
# or supporter in the tree's MAINTAINERS, as get_maintainer.pl reports.
# /usr/bin first: checkpatch
# runs spdxcheck.py with the python3 on PATH, and Debian's has ply and git.
export PATH=/usr/bin:$PATH
fail=0
for p in $(series_patches); do
	out=$(cd "$KSRC" && ./scripts/checkpatch.pl --strict --color=never --ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES "$p" 2>&1)
	summary=$(grep -E '^total: ' <<<"$out")
	name=checkpatch/$SERIES/${p#"$PATCHDIR"/}
	for f in $(sed -n 's|^+++ b/\(.*\)|\1|p' "$p" | sort -u); do
		grep -q "^--- /dev/null" < <(grep -B1 -F "+++ b/$f" "$p") || continue
		# The whole answer first: grep -q would stop reading at the first
		# match, and get_maintainer.pl, killed by SIGPIPE, would fail the
		# pipeline (pipefail).
		maint=$(cd "$KSRC" && ./scripts/get_maintainer.pl --no-git --nogit-fallback -f "$f" 2>/dev/null)
		grep -Eq '\((maintainer|supporter):' <<<"$maint" ||
			out+=$'\n'"ERROR: no maintainer for new file $f"
	done
	if grep -q '^total: 0 errors, 0 warnings, 0 checks' <<<"$out" &&
		! grep -q '^ERROR: no maintainer' <<<"$out"; then
		echo "PASS $name"
		status=PASS
	else
		printf '%s\n' "$out"
		echo "FAIL $name: $summary"
		status=FAIL
		fail=1
	fi
	[ -z "$results" ] || printf '%s\t%s\t%s\n' "$status" "$name" "$summary" >>"$results"
done
exit $fail
