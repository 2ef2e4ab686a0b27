#!/usr/bin/env bash
# model.sh [RESULTS]: model-check the BPF_MAP_FREEZE protocol with rumur.
#
# Generates every variant of model/freeze.m.in into $BUILD/model/NAME.m,
# turns it into a C verifier with rumur, compiles and runs it, and decides:
#   pass variants      the verifier finds no error (every invariant holds,
#                      no deadlock, every cover is hit) over > 0 states;
#   negative controls  the verifier, run to the end of the state space
#                      (--max-errors unlimited), reports a violation of the
#                      expected property; every property it violates is
#                      listed, and the log keeps one counterexample of each.
# Prints "PASS model/NAME" or "FAIL model/NAME: detail" per variant and, if
# RESULTS is given, appends "STATUS<TAB>model/NAME<TAB>detail" to it. Logs
# and verifiers stay in $BUILD/model/. Exits non-zero if any check failed.
# MODEL_ONLY="v3 nomb" runs only the variants named. Variants run
# MODEL_JOBS at a time (default: the number of CPUs); their output is
# printed in the table's order.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BUILD:-$TOP/build}/model
SRC=$TOP/model/freeze.m.in
RESULTS=${1:-}
mkdir -p "$OUT"

# Variants. EXPECT is "pass", or an extended regex over the violated
# property names (the text rumur prints in quotes, or "deadlock"): the
# control passes when one of them matches; with "only:" before the regex,
# every violated property must match it. PROTO is the protocol (UPSTREAM,
# FIX1, V2, V3, V4; see model/freeze.m.in), the other keys are its knobs.
#  NAME             EXPECT          NW NA PROTO    VERDICT BUSY_FROZEN FREEZER_MB RECHECK WAKE  EARLY_READ HANDOFF HANDOFF_MB CB_RECHECK MMAP  TSO   LIN
VARIANTS='
v4                pass            2  2  V4       false   false       true       true    true  false      false   true       true       true  true  true
v4-n3             pass            3  1  V4       false   false       true       true    true  false      false   true       true       true  true  true
nomb-sc           pass            2  1  V4       false   false       false      true    true  false      false   true       true       true  false true
fix1              pass            2  2  FIX1     true    false       true       true    true  false      false   false      false      true  true  true
fix1-busy         only:^P5        2  2  FIX1     true    true        true       true    true  false      false   false      false      true  true  true
fix1-old          ^P5             2  2  FIX1     false   true        true       true    true  false      false   false      false      true  true  true
v2-nolin          pass            2  2  V2       false   false       true       true    true  false      false   false      false      true  true  false
v2                only:^P5        2  1  V2       false   false       true       true    true  false      false   false      false      true  true  true
upstream          ^P1             2  2  UPSTREAM false   false       false      false   false false      false   false      false      false true  true
nomb              ^P[12]          2  1  V4       false   false       false      true    true  false      false   true       true       true  true  true
norecheck         ^P[12]          2  1  V4       false   false       true       false   true  false      false   true       true       true  true  true
nowake            ^P3|^deadlock$  2  1  V4       false   false       true       true    false false      false   true       true       true  true  true
wakeorder         ^P3|^deadlock$  2  1  V4       false   false       true       true    true  true       false   true       true       true  true  true
v4-norecheck      ^P2             2  1  V4       false   false       true       true    true  false      false   true       false      true  true  true
'
KEYS=(NW NA PROTO VERDICT BUSY_FROZEN FREEZER_MB RECHECK WAKE EARLY_READ HANDOFF HANDOFF_MB CB_RECHECK MMAP TSO LIN)

failed=0
result() { # STATUS NAME DETAIL
	if [ "$1" = PASS ]; then
		printf 'PASS model/%s\n' "$2"
	else
		printf 'FAIL model/%s: %s\n' "$2" "$3"
		failed=1
	fi
	[ -z "$RESULTS" ] || printf '%s\tmodel/%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS"
}

# rumur from apt, installed only if missing; apt-get update only if needed.
if ! command -v rumur >/dev/null; then
	echo "installing rumur (log in $OUT/apt.log)"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y rumur >"$OUT/apt.log" 2>&1; then
		apt-get update >>"$OUT/apt.log" 2>&1 || true
		apt-get install -y rumur >>"$OUT/apt.log" 2>&1 || true
	fi
	if ! command -v rumur >/dev/null; then
		result FAIL setup "cannot install rumur, see $OUT/apt.log"
		exit 1
	fi
fi
command -v cc >/dev/null || { result FAIL setup "no C compiler (cc)"; exit 1; }
echo "rumur: $(rumur --version 2>&1 | head -n1); logs in $OUT"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Keep the first counterexample of each violated property, drop the others,
# count all; the counts go to $2 as "COUNT<TAB>PROPERTY" lines.
filter_traces() {
	awk -v counts="$1" '
	/^The following is the error trace for the error:/ { intrace = 1; buf = $0; prop = ""; next }
	intrace {
		buf = buf "\n" $0
		if (prop == "" && $0 ~ /[^ \t]/) {
			prop = $0
			sub(/^[ \t]+/, "", prop)
			sub(/^(invariant|assertion|assumption) "/, "", prop)
			sub(/" failed$/, "", prop)
		}
		if ($0 ~ /^End of the error trace\./) {
			if (!(prop in n)) print buf
			n[prop]++
			intrace = 0
		}
		next
	}
	{ print }
	END { for (p in n) printf "%d\t%s\n", n[p], p > counts }'
}

# vresult STATUS NAME DETAIL: a variant's verdict, as a line of its report.
vresult() {
	printf '@@result\t%s\t%s\n' "$1" "$3"
}

# report NAME: print a finished variant's report, record its verdict.
report() {
	local line status detail
	while IFS= read -r line; do
		if [[ $line == @@result$'\t'* ]]; then
			line=${line#@@result$'\t'}
			status=${line%%$'\t'*} detail=${line#*$'\t'}
			result "$status" "$1" "$detail"
		else
			printf '%s\n' "$line"
		fi
	done <"$OUT/$1.report"
}

# run_variant NAME EXPECT VALUE...: one check; its output is its report.
run_variant() {
	local name=$1 expect=$2 m c bin log t0 t1 rc=0 states detail i
	shift 2
	local vals=("$@") sedargs=()
	m=$OUT/$name.m c=$OUT/$name.c bin=$OUT/$name log=$OUT/$name.log
	for i in "${!KEYS[@]}"; do
		sedargs+=(-e "s/@${KEYS[$i]}@/${vals[$i]}/g")
		# "--[P1,P2] line": the line is kept only for those protocols.
		[ "${KEYS[$i]}" != PROTO ] ||
			sedargs+=(-e "s/^\\([[:space:]]*\\)--\\[\\([A-Z0-9_]*,\\)*${vals[$i]}\\(,[A-Z0-9_]*\\)*\\] */\\1/")
	done
	{
		printf -- '-- Generated by scripts/model.sh from model/freeze.m.in: variant %s\n' "$name"
		sed "${sedargs[@]}" "$SRC"
	} >"$m"
	if grep -q '@[A-Z_]*@' "$m"; then
		vresult FAIL "$name" "unresolved placeholder in $m"
		return
	fi
	# Negative controls explore everything and report every violation.
	local opts=(--threads 1 --deadlock-detection stuck --colour off --pack-state off)
	[ "$expect" = pass ] || opts+=(--max-errors 1000000000)
	if ! rumur "${opts[@]}" --output "$c" "$m" >"$log" 2>&1; then
		vresult FAIL "$name" "rumur cannot translate $m, see $log"
		return
	fi
	if ! cc -O2 -pthread -o "$bin" "$c" >>"$log" 2>&1; then
		vresult FAIL "$name" "cannot compile $c, see $log"
		return
	fi
	t0=$(now)
	if [ "$expect" = pass ]; then
		"$bin" >>"$log" 2>&1 || rc=$?
	else
		rm -f "$OUT/$name.violations"
		{ rc=0; "$bin" || rc=$?; echo "$rc" >"$OUT/$name.rc"; } 2>&1 |
			filter_traces "$OUT/$name.violations" >>"$log"
		rc=$(cat "$OUT/$name.rc")
	fi
	t1=$(now)
	states=$(sed -n 's/^[[:space:]]*\([0-9]*\) states, \([0-9]*\) rules fired.*/\1 states, \2 rules/p' "$log" | tail -n1)
	detail="${states:-no state count}, $(secs "$t0" "$t1")s"
	printf '  %-17s NW=%s NA=%s: %s\n' "$name" "$1" "$2" "$detail"
	if [ "$expect" = pass ]; then
		if ((rc == 0)) && grep -q 'No error found' "$log" && [ "${states%% *}" -gt 0 ] 2>/dev/null; then
			vresult PASS "$name" "no error, $detail"
		else
			vresult FAIL "$name" "expected no error: $(grep -m1 -E '^[[:space:]]*(invariant|assertion|deadlock|cover)' "$log" | sed 's/^[[:space:]]*//') ($detail, see $log)"
		fi
		return
	fi
	# The verifier exits 0 when it found fewer errors than --max-errors
	# (rumur 2022.08): count them from its summary instead.
	local nerr violated only=
	if [[ $expect == only:* ]]; then
		only=1 expect=${expect#only:}
	fi
	nerr=$(sed -n 's/^[[:space:]]*\([0-9]*\) error(s) found.*/\1/p' "$log" | tail -n1)
	violated=$(sort -t$'\t' -k2 "$OUT/$name.violations" 2>/dev/null |
		awk -F'\t' '{ printf "%s%s (%d states)", sep, $2, $1; sep = "; " }')
	if [ -n "$only" ] && cut -f2 "$OUT/$name.violations" 2>/dev/null | grep -Evq "$expect"; then
		vresult FAIL "$name" "expected violations of /$expect/ only, got: $violated ($detail, see $log)"
	elif ((${nerr:-0} > 0)) && cut -f2 "$OUT/$name.violations" 2>/dev/null | grep -Eq "$expect"; then
		vresult PASS "$name" "violates, as expected: $violated; $detail"
	else
		vresult FAIL "$name" "expected a violation of /$expect/, got: ${violated:-none} (${nerr:-no} errors, exit $rc; $detail, see $log)"
	fi
}

JOBS=${MODEL_JOBS:-$(nproc 2>/dev/null || echo 1)}
queue=()
declare -A pid=()
# print_done [all]: print the reports at the head of the queue whose job has
# ended (all: wait for each), in the table's order.
print_done() {
	local n
	while ((${#queue[@]})); do
		n=${queue[0]}
		if [ "${1:-}" != all ] && kill -0 "${pid[$n]}" 2>/dev/null; then
			return 0
		fi
		wait "${pid[$n]}" 2>/dev/null || true
		report "$n"
		queue=("${queue[@]:1}")
	done
}

start=$(now)
while read -r name expect vals; do
	[ -n "$name" ] || continue
	[ -z "${MODEL_ONLY:-}" ] || [[ " $MODEL_ONLY " == *" $name "* ]] || continue
	while (($(jobs -rp | wc -l) >= JOBS)); do
		wait -n 2>/dev/null || true
	done
	# shellcheck disable=SC2086
	run_variant "$name" "$expect" $vals >"$OUT/$name.report" 2>&1 &
	pid[$name]=$!
	queue+=("$name")
	print_done
done <<<"$VARIANTS"
print_done all
echo "model checking took $(secs "$start" "$(now)")s"
exit "$failed"
