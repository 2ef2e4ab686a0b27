#!/usr/bin/env bash
# Style gates of the series' Rust code, as results for make check:
#  - rustfmt --check, with the tree's .rustfmt.toml, of every .rs file the
#    series adds or changes (the base tree's own files are not ours to
#    reformat: a newer rustfmt may disagree with them);
#  - make rustdoc of the Rust kernel build: no warning.
# usage: rust-gates.sh RESULTS
set -uo pipefail
. "$(dirname "$0")/lib.sh"

results=$1
obj=$BUILD/kbuild-rust

# result STATUS NAME DETAIL
result() { add_result "$results" "$1" "rust/$2" "$3"; }

mapfile -t files < <(git -C "$KSRC" diff --name-only --diff-filter=AM base HEAD -- '*.rs')
if ((${#files[@]} == 0)); then
	result FAIL rustfmt "the series changes no .rs file"
elif (cd "$KSRC" && rustfmt --check --edition 2021 --config-path .rustfmt.toml "${files[@]}") \
	>"$LOGS/rustfmt.log" 2>&1; then
	result PASS rustfmt "${#files[@]} files"
else
	result FAIL rustfmt "see ${LOGS#"$TOP"/}/rustfmt.log"
fi

if kmake O="$obj" rustdoc >"$LOGS/rustdoc.log" 2>&1 &&
	! grep -Eq '^(warning|error)' "$LOGS/rustdoc.log"; then
	result PASS rustdoc ""
else
	result FAIL rustdoc "see ${LOGS#"$TOP"/}/rustdoc.log"
fi
