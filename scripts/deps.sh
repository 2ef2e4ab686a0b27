#!/usr/bin/env bash
# Install everything the harness needs, idempotently. Safe to run every time:
# each step first checks whether its result is already present.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

APT_PKGS=(clang-19 lld-19 llvm-19 libclang-19-dev qemu-system-x86 bc flex bison
	  libelf-dev libssl-dev cpio busybox-static dwarves linux-source-6.12
	  zlib1g-dev libzstd-dev python3 python3-ply python3-git git make xz-utils
	  pkg-config python3-sphinx python3-sphinx-rtd-theme ccache)

missing=()
for p in "${APT_PKGS[@]}"; do
	[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *"install ok installed"* ]] ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	step "apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	run_logged apt-update apt-get update
	run_logged apt-install apt-get install -y --no-install-recommends "${missing[@]}"
fi

if ! command -v rustup >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/rustup" ]; then
	export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v rustup >/dev/null 2>&1 || die "rustup not found: this harness needs the machine's Rust toolchain"

sysroot=$(rustc --print sysroot)
if [ ! -d "$sysroot/lib/rustlib/src/rust/library" ]; then
	step "rustup component add rust-src"
	run_logged rustup rustup component add rust-src
fi

# clippy-driver, for the CLIPPY=1 builds of scripts/bisect.sh
if ! command -v clippy-driver >/dev/null 2>&1; then
	step "rustup component add clippy"
	run_logged rustup-clippy rustup component add clippy
fi

if [[ $(bindgen --version 2>/dev/null) != *0.69.5* ]]; then
	step "cargo install bindgen-cli 0.69.5"
	run_logged bindgen cargo install --locked bindgen-cli --version 0.69.5
fi
ok "dependencies present"
