#!/usr/bin/env bash
# Regenerate patches/SERIES from the commits base..HEAD of build/SERIES/linux.
# Deterministic: an unchanged commit gives a byte-identical patch (zeroed
# commit ids, no signature, author dates from the commits); the cover letter
# takes its subject and text from series/SERIES/cover-letter.txt and the date of
# the newest patch.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cd "$KSRC"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	die "${KSRC#"$TOP"/} has uncommitted changes: commit them first"
n=$(git rev-list --count base..HEAD)
((n > 0)) || die "no commits on top of base"
git config branch.series.description "$(cat "$COVER")"
tmp=$(mktemp -d)
# The cover letter's From: is the series' author (that of its newest
# commit), not whoever runs the export.
git -c user.name="$(git log -1 --format=%an)" -c user.email="$(git log -1 --format=%ae)" \
	format-patch -q --cover-letter --cover-from-description=subject \
	--zero-commit --no-signature --no-base -o "$tmp" base..HEAD
newest=$(ls "$tmp"/*.patch | grep -v '/0000-cover-letter' | xargs grep -h '^Date: ' |
	sed 's/^Date: //' | while read -r d; do echo "$(date -d "$d" +%s) $d"; done |
	sort -n | tail -n1 | cut -d' ' -f2-)
sed -i "s/^Date: .*/Date: $newest/" "$tmp/0000-cover-letter.patch"
mkdir -p "$PATCHDIR"
rm -f "$PATCHDIR"/*.patch
mv "$tmp"/*.patch "$PATCHDIR/"
rmdir "$tmp"
series_hash >"$KSRC/.git/series-hash"
ok "exported $n patch(es) and the cover letter to patches/$SERIES"
