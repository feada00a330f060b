#!/usr/bin/env bash
# Every binary's --help lists its own flags with their defaults (abseil once
# printed "No flags matched" for all of them).
# Usage: help_test.sh <binary> <flag> [<flag>...]
set -uo pipefail
binary=$1; shift
out=$("$binary" --help 2>&1)
fail=0
for flag in "$@"; do
  # The flag's entry runs from "--flag (" to its "default: ...;" (possibly wrapped).
  entry=$(awk -v f="--$flag (" 'index($0, f) == 5 { p = 1 } p { print } p && /default: / { exit }' <<<"$out")
  if ! grep -q "default: " <<<"$entry"; then
    echo "FAIL: $(basename "$binary") --help does not list --$flag with its default"
    fail=1
  fi
done
if grep -q "No flags matched" <<<"$out"; then echo "FAIL: No flags matched"; fail=1; fi
[ "$fail" -eq 0 ] && echo "$(basename "$binary") --help lists --${*// /, --} with defaults"
exit "$fail"
