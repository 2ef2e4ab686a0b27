#!/usr/bin/env bash
# checkpatch.pl --strict over every patch of the series.
# usage: checkpatch.sh [RESULTS]  (appends one result per patch to RESULTS)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

results=${1:-}
fail=0
for p in $(series_patches); do
	out=$(cd "$KSRC" && ./scripts/checkpatch.pl --strict --color=never "$p" 2>&1)
	summary=$(grep -E '^total: ' <<<"$out")
	name=checkpatch/$(basename "$p")
	if grep -q '^total: 0 errors, 0 warnings, 0 checks' <<<"$out"; then
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
