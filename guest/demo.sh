#!/bin/sh
# make run: show BPF_MAP_FREEZE on the patched kernel.
echo "<<<demo>>>"
/guest/freeze_demo
echo "<<<end demo rc=$?>>>"
