#!/bin/sh
# The attr fuzzer in its serial mode (guest/stress/freeze_fuzz.c): no worker
# threads, fixed seeds, so that its outcome table ("# fuzz_table seed=...
# errno=... count=...") is a pure function of the seed. The host compares
# the Rust handler's tables with the C handler's (scripts/fuzz-compare.py).
FUZZ_SERIAL=1 exec /guest/tests/freeze_fuzz
