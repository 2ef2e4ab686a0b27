#!/usr/bin/env bash
# Materialize build/SERIES/linux: Debian's linux-source-7.3 (mainline) or
# linux-source-6.12 (the stable backport) as one base commit (tag "base"),
# with patches/SERIES/*.patch applied on top as commits by git am.
#
# The base commit is made once per package version and kept, as a bare
# repository, in /var/cache/bpf-freeze/git/ (next to the compiler cache,
# outside any clone); a tree is a clone of it (objects hard-linked where the
# file system allows) and a checkout, so a fresh clone of the harness does
# not unpack and commit
# the 80,000 files again. The commit is the same either way: fixed author,
# committer and dates.
#
# The tree is only rebuilt when needed, so incremental kernel builds stay
# incremental:
#  - no tree, or the package's version changed: clone the base afresh;
#  - patches/SERIES changed since the series was last applied or exported: reset
#    to base and re-apply (refused if the tree has uncommitted edits);
#  - otherwise the tree (including a developer's uncommitted edits) is used
#    as it is.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tarball=$KTARBALL
[ -f "$tarball" ] || die "$tarball missing: run scripts/deps.sh"
debver=${KPKG_VERSION:-$(dpkg-query -W -f='${Version}' "$KPKG")}

export GIT_AUTHOR_NAME="Debian $KPKG" GIT_AUTHOR_EMAIL="debian-kernel@lists.debian.org"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"

# base_repo DIR: unpack the package into DIR and commit it (tag "base").
base_repo() {
	mkdir -p "$1"
	run_logged unpack tar -xf "$tarball" -C "$1" --strip-components=1
	(
		cd "$1"
		git init -q -b base-tree .
		git config core.autocrlf false
		git config gc.auto 0
		# A fixed date makes the base commit (and so the tree's history)
		# reproducible for a given package version.
		export GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z"
		# Debian's .gitignore ends by ignoring every top-level path (its
		# packaging repository does not carry the source); without that
		# block git sees the files a patch adds, as in upstream's tree.
		sed -i '/^# Debian packaging: ignore everything/,$d' .gitignore
		sed -i '${/^#$/d}' .gitignore
		git add -A -f . >/dev/null
		git commit -q -m "Debian $KPKG $debver"
		git tag base
	) >"$LOGS/base-commit.log" 2>&1 || { tail "$LOGS/base-commit.log"; die "base commit failed"; }
}

if [ ! -f "$KSRC/.git/base-version" ] || [ "$(cat "$KSRC/.git/base-version")" != "$debver" ]; then
	cache=/var/cache/bpf-freeze/git/$KPKG-$debver.git
	mkdir -p "${cache%/*}"
	# One harness at a time makes the cache; others wait for it and use it.
	exec {lock}>"$cache.lock"
	flock "$lock"
	if ! git -C "$cache" rev-parse -q --verify base >/dev/null 2>&1; then
		step "unpacking $KPKG $debver into ${cache}"
		rm -rf "$cache" "$cache.work" "$cache.tmp"
		base_repo "$cache.work"
		git clone -q --bare "$cache.work" "$cache.tmp"
		rm -rf "$cache.work"
		mv "$cache.tmp" "$cache"
	fi
	step "checking out $KPKG $debver into ${KSRC#"$TOP"/}"
	rm -rf "$KSRC" "$KSRC.tmp"
	git clone -q --no-checkout "$cache" "$KSRC.tmp"
	exec {lock}>&-
	(
		cd "$KSRC.tmp"
		git remote remove origin
		git config core.autocrlf false
		git config gc.auto 0
		git checkout -q -b series base
	) >"$LOGS/base-checkout.log" 2>&1 || { tail "$LOGS/base-checkout.log"; die "checkout of the base failed"; }
	echo "$debver" >"$KSRC.tmp/.git/base-version"
	mv "$KSRC.tmp" "$KSRC"
	rm -f "$KSRC/.git/series-hash"
fi

want=$(series_hash)
have=$(cat "$KSRC/.git/series-hash" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
	cd "$KSRC"
	if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
		die "patches/$SERIES changed but ${KSRC#"$TOP"/} has uncommitted edits: commit them and 'make export', or 'git -C ${KSRC#"$TOP"/} stash'"
	fi
	mapfile -t series < <(series_patches)
	step "applying ${#series[@]} patch(es) to base $debver"
	git am --abort >/dev/null 2>&1 || true
	git checkout -q -B series base
	if ((${#series[@]})); then
		git -c user.name=harness -c user.email=harness@localhost am -q --keep-cr "${series[@]}" \
			>"$LOGS/git-am.log" 2>&1 || {
			cat "$LOGS/git-am.log" >&2
			git am --abort || true
			die "patches/$SERIES does not apply to $KPKG $debver"
		}
	fi
	echo "$want" >.git/series-hash
fi
ok "tree ${KSRC#"$TOP"/}: $KPKG $debver + $(git -C "$KSRC" rev-list --count base..HEAD) patch(es)"
