#!/usr/bin/env bash
# Documentation gates, as results for make check:
#  - Sphinx: make htmldocs SPHINXDIRS=bpf from scratch; it must succeed,
#    produce bpf/map_freeze.html and print no warning about a file that the
#    series adds or changes. (A build of only Documentation/bpf cannot
#    resolve links into other directories: the base tree's own
#    bpf_devel_QA.rst warns about one; that is not ours.)
#  - kernel-doc -Wall on every C file and header the series changes: no
#    warning that the base version of the file does not already have.
# usage: docs.sh RESULTS  (exits non-zero when a gate fails)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

results=$1
obj=$BUILD/kbuild-docs

# result STATUS NAME DETAIL
fail=0
result() {
	add_result "$results" "$1" "docs/$2" "$3"
	[ "$1" = PASS ] || fail=1
}

mapfile -t changed < <(git -C "$KSRC" diff --name-only --diff-filter=AM base HEAD)

rm -rf "$obj"
mkdir -p "$obj"
# Debian's python3 (with Sphinx from apt) comes first on PATH.
if PATH=/usr/bin:$PATH make -C "$KSRC" O="$obj" SPHINXDIRS=bpf htmldocs \
	>"$LOGS/htmldocs.log" 2>&1; then
	ours=()
	for f in "${changed[@]}"; do
		[[ $f == Documentation/* ]] || continue
		ours+=("$(grep -F "$f" "$LOGS/htmldocs.log" | grep -E 'WARNING|ERROR|CRITICAL')")
	done
	ours=$(printf '%s\n' "${ours[@]}" | sed '/^$/d')
	if [ ! -f "$obj/Documentation/output/bpf/map_freeze.html" ]; then
		result FAIL sphinx "no bpf/map_freeze.html; see logs/htmldocs.log"
	elif [ -n "$ours" ]; then
		printf '%s\n' "$ours"
		result FAIL sphinx "warnings in the series' documents; see logs/htmldocs.log"
	else
		result PASS sphinx "$(grep -c WARNING "$LOGS/htmldocs.log") warnings, none about the series' files"
	fi
else
	tail -n 20 "$LOGS/htmldocs.log"
	result FAIL sphinx "make htmldocs failed; see logs/htmldocs.log"
fi

# kernel-doc warnings without line numbers, for comparing two versions
kdoc() {
	"$KSRC/scripts/kernel-doc" -none -Wall "$1" 2>&1 | sed -E 's/^[^:]*:[0-9]+: //' | sort -u
}
new=()
n=0
for f in "${changed[@]}"; do
	[[ $f == *.[ch] && $f != tools/* ]] || continue
	n=$((n + 1))
	before=$(git -C "$KSRC" show "base:$f" 2>/dev/null >"$obj/kdoc.base" && kdoc "$obj/kdoc.base")
	while IFS= read -r w; do
		[ -n "$w" ] && new+=("$f: $w")
	done < <(comm -13 <(printf '%s\n' "$before") <(kdoc "$KSRC/$f"))
done
if ((${#new[@]})); then
	printf '%s\n' "${new[@]}"
	result FAIL kernel-doc "${#new[@]} new warnings"
else
	result PASS kernel-doc "$n files, no new warning"
fi
exit $fail
