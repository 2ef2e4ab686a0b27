#!/usr/bin/env python3
"""Check the commit messages of the series against the kernel's form
(Documentation/process/submitting-patches.rst), one result per patch.

usage: commitmsg.py RESULTS PATCH...

A message passes when:
  - the subject is "<prefix>: <Summary>" with a prefix of this subsystem
    (bpf:, rust:, rust: bpf:, rust: sync:, rust: file:, selftests/bpf:, docs: bpf:, MAINTAINERS:), at most
    75 characters, no trailing period;
  - the summary starts with a capitalised verb in the imperative (not
    "Adds", "Added", "Adding");
  - the body is there, says why in its first paragraph (before any "This
    patch"/"This commit" phrasing, which the guide asks to avoid anywhere),
    and keeps its lines within 75 columns (URLs, quoted logs and tags
    such as Fixes: aside);
  - it ends with a Signed-off-by: of the patch's author.
"""
import email
import email.policy
import re
import sys

PREFIXES = ("bpf", "rust", "rust: bpf", "rust: sync", "rust: file", "selftests/bpf", "docs: bpf", "MAINTAINERS")


def check(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    problems = []
    subject = re.sub(r"^\[(RFC )?PATCH[^]]*\]\s*", "", " ".join(str(msg["Subject"]).split()))
    prefix = next((p for p in sorted(PREFIXES, key=len, reverse=True)
                   if subject.startswith(p + ": ")), None)
    if prefix is None:
        problems.append(f"subject prefix not one of {', '.join(p + ':' for p in PREFIXES)}")
    else:
        verb = subject[len(prefix) + 2:].split(" ", 1)[0] or "?"
        if not verb[0].isupper():
            problems.append(f"summary does not start with a capital: {verb!r}")
        if re.search(r"(ed|ing)$", verb) or (verb.endswith("s") and not verb.endswith("ss")):
            problems.append(f"summary verb not imperative: {verb!r}")
    if len(subject) > 75:
        problems.append(f"subject longer than 75 characters ({len(subject)})")
    if subject.endswith("."):
        problems.append("subject ends with a period")

    body = msg.get_content().split("\n---\n", 1)[0]
    lines = body.strip("\n").split("\n")
    sob = [l for l in lines if l.startswith("Signed-off-by: ")]
    text = [l for l in lines if not re.match(r"^[A-Za-z-]+: ", l)]
    paras = [p for p in "\n".join(text).split("\n\n") if p.strip()]
    if not paras:
        problems.append("no body")
    for l in text:
        if re.search(r"\b[Tt]his (patch|commit)\b", l):
            problems.append(f"'this patch' phrasing: {l.strip()!r}")
        # tags are never wrapped (Documentation/process/submitting-patches.rst)
        if len(l) > 75 and not re.search(r"https?://|^\s|^\S+\.\w+:\d+|^(Fixes|Link|Closes): ", l):
            problems.append(f"body line over 75 columns: {l[:40]!r}...")
    author = str(msg["From"])
    if not sob:
        problems.append("no Signed-off-by")
    elif sob[-1][len("Signed-off-by: "):] != author:
        problems.append(f"last Signed-off-by is not the author {author!r}")
    return subject, problems


def main():
    results, patches = sys.argv[1], sys.argv[2:]
    failed = 0
    with open(results, "a") as out:
        for p in patches:
            subject, problems = check(p)
            # SERIES/PART/PATCH: patches/SERIES/PART/NNNN-....patch
            name = "commit-msg/" + "/".join(p.rsplit("/", 3)[-3:])
            status = "FAIL" if problems else "PASS"
            failed += bool(problems)
            detail = "; ".join(problems) if problems else subject
            print(f"{status} {name}" + (f": {detail}" if problems else ""))
            out.write(f"{status}\t{name}\t{detail}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
