#!/usr/bin/env bash
# Regenerate patches/SERIES from the commits base..HEAD of build/SERIES/linux,
# one folder per part of the series (series/SERIES/parts): each part's
# commits, with its subject prefix and its cover letter, numbered from 1.
# Deterministic: an unchanged commit gives a byte-identical patch (zeroed
# commit ids, no signature, author dates from the commits); a cover letter
# takes its subject and text from series/SERIES/FOLDER/cover-letter.txt and
# the date of its part's newest patch.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cd "$KSRC"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	die "${KSRC#"$TOP"/} has uncommitted changes: commit them first"
n=$(git rev-list --count base..HEAD)
((n > 0)) || die "no commits on top of base"
tips=$(series_part_tips "$KSRC" HEAD) || die "series/$SERIES/parts does not fit base..HEAD"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
from=base
while read -r dir count to prefix; do
	# format-patch takes the cover letter from the description of the
	# branch it formats: a branch of the part's own.
	git branch -f "export-$dir" "$to"
	git config "branch.export-$dir.description" "$(cat "$TOP/series/$SERIES/$dir/cover-letter.txt")"
	# The cover letter's From: is the series' author (that of its newest
	# commit), not whoever runs the export.
	git -c user.name="$(git log -1 --format=%an "$to")" -c user.email="$(git log -1 --format=%ae "$to")" \
		format-patch -q --cover-letter --cover-from-description=subject \
		--subject-prefix="$prefix" --zero-commit --no-signature --no-base \
		-o "$tmp/$dir" "$from..export-$dir"
	git branch -q -D "export-$dir"
	newest=$(ls "$tmp/$dir"/*.patch | grep -v '/0000-cover-letter' | xargs grep -h '^Date: ' |
		sed 's/^Date: //' | while read -r d; do echo "$(date -d "$d" +%s) $d"; done |
		sort -n | tail -n1 | cut -d' ' -f2-)
	sed -i "s/^Date: .*/Date: $newest/" "$tmp/$dir/0000-cover-letter.patch"
	from=$to
done <<<"$tips"
rm -rf "$PATCHDIR"
mkdir -p "$PATCHDIR"
mv "$tmp"/* "$PATCHDIR/"
series_hash >"$KSRC/.git/series-hash"
ok "exported $n patch(es) in $(series_parts | wc -l) part(s), each with its cover letter, to patches/$SERIES"
