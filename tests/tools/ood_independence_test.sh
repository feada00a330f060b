#!/usr/bin/env bash
# lsms-ood shares no code with lsms-synth: no source of it includes a
# tools/synth header, and its binary holds no lsms::synth symbol.
# Usage: ood_independence_test.sh <source dir> <lsms-ood binary>
set -euo pipefail
src=$1 binary=$2
if grep -n 'tools/synth/' "$src"/tools/ood/*.h "$src"/tools/ood/*.cc "$src"/tools/lsms_ood_main.cc; then
  echo "lsms-ood includes lsms-synth code (above)" >&2
  exit 1
fi
[ -x "$binary" ] || { echo "no $binary" >&2; exit 1; }
symbols=$(nm -C "$binary")
if grep -q 'lsms::synth::' <<<"$symbols"; then
  echo "lsms-ood contains lsms-synth code:" >&2
  grep 'lsms::synth::' <<<"$symbols" | head >&2
  exit 1
fi
grep -q 'lsms::ood::MakeOodSlice' <<<"$symbols" || { echo "$binary has no lsms::ood symbols: wrong binary?" >&2; exit 1; }
echo "lsms-ood shares no code with lsms-synth"
