#!/usr/bin/env python3
"""Debian 13's pahole in a root of its own, for the BPF-CI kernels.

usage: pahole.py ROOT VERSION

Debian 12's pahole 1.24, run with -j as Kbuild runs it, encodes a function
defined in two compilation units once per encoder thread: 7.3's
bpf_lsm_mmap_file(), whose strong definition in bpf_lsm_proto.c names its
argument file__nullable (PTR_MAYBE_NULL for the verifier) and whose weak
one in bpf_lsm.c names it file, got two FUNC records, in an order that
changed from one run to the next, and libbpf attaches to the first: whether
verifier_lsm's "not null checking nullable pointer in bpf_lsm_mmap_file"
passed was the luck of the build. Debian 13's pahole keeps one, the first
in link order (bpf_lsm_proto.o's, file__nullable, as 7.3's
kernel/bpf/Makefile expects), the same under -j from one build to the
next (Makefile.btf adds --btf_features=+reproducible_build for >= 1.27).

pahole of trixie needs trixie's C library, so it is unpacked with its
runtime dependencies into ROOT (never installed on the host) and run
through trixie's dynamic loader by the wrapper ROOT/pahole. Everything
comes from Debian's archive as apt takes it: the InRelease file verified
with the host's debian-archive-keyring, Packages.xz against its SHA256
there, each package against its SHA256 in Packages. Idempotent: nothing
is done when ROOT/pahole already reports VERSION; under a lock (ROOT.lock),
so that two first runs side by side do not unpack into each other.
"""
import fcntl
import hashlib
import lzma
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

MIRROR = "http://deb.debian.org/debian"
SUITE = "trixie"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


def fetch(url):
    with urllib.request.urlopen(url, timeout=120) as r:
        return r.read()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def packages():
    """The suite's main/binary-amd64 Packages, verified, as {name: fields}."""
    with tempfile.TemporaryDirectory() as tmp:
        signed = os.path.join(tmp, "InRelease")
        with open(signed, "wb") as f:
            f.write(fetch(f"{MIRROR}/dists/{SUITE}/InRelease"))
        release = subprocess.run(
            ["gpgv", "--keyring", KEYRING, "--output", "-", signed],
            check=True, capture_output=True).stdout.decode()
    section = release.split("\nSHA256:\n", 1)[1]
    want = re.search(r"^ ([0-9a-f]{64}) +\d+ main/binary-amd64/Packages\.xz$",
                     section, re.M).group(1)
    data = fetch(f"{MIRROR}/dists/{SUITE}/main/binary-amd64/Packages.xz")
    if sha256(data) != want:
        sys.exit("pahole.py: Packages.xz does not match its SHA256 in InRelease")
    pkgs = {}
    for stanza in lzma.decompress(data).decode().split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z0-9-]+): (.*)$", stanza, re.M))
        if "Package" in fields:
            pkgs.setdefault(fields["Package"], fields)
    return pkgs


def closure(pkgs, name):
    """name and what it depends on, the first of each alternative."""
    todo, seen = [name], {}
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen[p] = pkgs[p]
        deps = ", ".join(filter(None, (pkgs[p].get("Pre-Depends"), pkgs[p].get("Depends"))))
        for dep in filter(None, (d.strip() for d in deps.split(","))):
            todo.append(re.match(r"[^ (|:]+", dep.split("|")[0].strip()).group(0))
    return seen


def installed(wrapper, version):
    try:
        out = subprocess.run([wrapper, "--version"], capture_output=True).stdout
    except OSError:
        return False
    return out.decode().strip() == f"v{version}"


def main():
    root, version = sys.argv[1:3]
    wrapper = os.path.join(root, "pahole")
    if installed(wrapper, version):
        return
    os.makedirs(os.path.dirname(root), exist_ok=True)
    lock = open(root + ".lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    if installed(wrapper, version):
        return
    print(f"==> Debian {SUITE}'s pahole {version} into {root}", flush=True)
    pkgs = packages()
    got = pkgs["pahole"]["Version"]
    if not got.startswith(f"{version}-"):
        sys.exit(f"pahole.py: {SUITE} has pahole {got}, not {version}")
    tmp = root + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for name, fields in sorted(closure(pkgs, "pahole").items()):
        deb = fetch(f"{MIRROR}/{fields['Filename']}")
        if sha256(deb) != fields["SHA256"]:
            sys.exit(f"pahole.py: {fields['Filename']} does not match its SHA256")
        path = os.path.join(tmp, os.path.basename(fields["Filename"]))
        with open(path, "wb") as f:
            f.write(deb)
        subprocess.run(["dpkg-deb", "-x", path, os.path.join(tmp, "root")], check=True)
        os.remove(path)
        print(f"    {name} {fields['Version']}", flush=True)
    r = os.path.join(root, "root")
    libs = f"{r}/usr/lib/x86_64-linux-gnu:{r}/lib/x86_64-linux-gnu"
    with open(os.path.join(tmp, "pahole"), "w") as f:
        f.write("#!/bin/sh\n"
                f"# pahole {got} of Debian {SUITE}, run by its own loader (scripts/pahole.py)\n"
                f'exec {r}/usr/lib64/ld-linux-x86-64.so.2 --library-path {libs} {r}/usr/bin/pahole "$@"\n')
    os.chmod(os.path.join(tmp, "pahole"), 0o755)
    shutil.rmtree(root, ignore_errors=True)
    os.rename(tmp, root)
    out = subprocess.run([wrapper, "--version"], check=True, capture_output=True).stdout
    if out.decode().strip() != f"v{version}":
        sys.exit(f"pahole.py: {wrapper} reports {out.decode().strip()}, not v{version}")


if __name__ == "__main__":
    main()
