#!/usr/bin/env bash
# Build the libbpf-rs client in guest/rust-client as a static x86_64 binary:
# build/user/bin/rust_freeze_client, a guest test printing TAP. Cargo fetches
# the crates of Cargo.lock from crates.io the first time (--locked: the lock
# file is used as it is), then builds offline and incrementally.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SRC=$TOP/guest/rust-client
TARGET=x86_64-unknown-linux-gnu
TDIR=$BUILD/user/rust-client
OUT=$BUILD/user/bin/rust_freeze_client
mkdir -p "$BUILD/user/bin"

step "building the Rust client (libbpf-rs, static)"
# From its directory: guest/rust-client/.cargo/config.toml holds the static
# link flags and where the static libelf and zlib are.
cd "$SRC"
run_logged rust-client cargo build --release --locked --target "$TARGET" \
	--target-dir "$TDIR"
bin=$TDIR/$TARGET/release/rust_freeze_client
# The guest has no dynamic loader nor shared libraries.
# (readelf's whole output first: with pipefail, grep -q stopping early would
# make readelf die of SIGPIPE and the check fail the wrong way)
if grep -q INTERP <<<"$(readelf -lW "$bin")" || grep -q NEEDED <<<"$(readelf -dW "$bin")"; then
	die "$bin is not statically linked"
fi
# Copied only when it changed, so that its time stamp says when it did.
cmp -s "$bin" "$OUT" || cp "$bin" "$OUT"
ok "rust client: ${OUT#"$TOP"/} ($(du -h "$OUT" | cut -f1))"
