#!/usr/bin/env bash
# On a host without a usable NVIDIA GPU, asking for one is an error, not a
# silent CPU fallback: `lsms-server --device cuda` (and cuda:N) exits non-zero
# before it listens, with a message naming CUDA; lsms-train and lsms-model-info
# refuse the same way. Skipped (exit 77) on a host with a GPU.
# Usage: no_gpu_cli_test.sh <lsms-server> <lsms-train> <lsms-model-info> <checkpoint>
set -uo pipefail
server=$1 train=$2 model_info=$3 checkpoint=$4
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
  echo "SKIP: this host has a GPU"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
for device in cuda cuda:0; do
  timeout 120 "$server" --checkpoint "$checkpoint" --device "$device" --listen 127.0.0.1:0 \
    --port_file "$work/port" --metrics_listen 127.0.0.1:0 >"$work/out" 2>&1
  rc=$?
  if [ "$rc" = 0 ] || [ "$rc" = 124 ]; then
    echo "FAIL: lsms-server --device $device exited $rc on a host without a GPU"; fail=1
  fi
  grep -q "CUDA" "$work/out" || { echo "FAIL: no message naming CUDA:"; cat "$work/out"; fail=1; }
  [ -s "$work/port" ] && { echo "FAIL: lsms-server --device $device listened"; fail=1; }
done
echo "lsms-server --device cuda: $(grep -m1 CUDA "$work/out")"
"$train" --device cuda --manifest "$work/none.jsonl" --out "$work/run" >"$work/out" 2>&1 &&
  { echo "FAIL: lsms-train --device cuda succeeded"; fail=1; }
grep -q "CUDA" "$work/out" || { echo "FAIL: lsms-train gave no message naming CUDA:"; cat "$work/out"; fail=1; }
"$model_info" --device cuda --presets nano >"$work/out" 2>&1 &&
  { echo "FAIL: lsms-model-info --device cuda succeeded"; fail=1; }
grep -q "CUDA" "$work/out" || { echo "FAIL: lsms-model-info gave no message naming CUDA:"; cat "$work/out"; fail=1; }
[ "$fail" = 0 ] && echo "PASS"
exit "$fail"
