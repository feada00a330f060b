#!/usr/bin/env bash
# lsms-server refuses bad settings at start, before it loads anything: a
# receive limit that would overflow or lift the limit (issue 29 row 16), and
# CUDA on a host or build without it (a clear message, a non-zero exit).
# Usage: server_flags_test.sh <lsms-server> <checkpoint>
set -uo pipefail
server=$1 checkpoint=$2
fail=0 passed=0
expect() {  # expect <rc> <message part> <args...>
  local want_rc=$1 want_msg=$2; shift 2
  local out rc
  out=$(timeout 120 "$server" --checkpoint "$checkpoint" --listen 127.0.0.1:0 --metrics_listen "" "$@" 2>&1)
  rc=$?
  if [ "$rc" -ne "$want_rc" ] || ! grep -qF -- "$want_msg" <<<"$out"; then
    echo "FAIL: $* -> rc $rc (want $want_rc), output: $(tail -c 300 <<<"$out")"
    fail=$((fail + 1))
  else
    passed=$((passed + 1))
    echo "ok: $* -> rc $rc, '$want_msg'"
  fi
}
expect 2 "--max_receive_mb must be in [1, 2047], got -1" --max_receive_mb=-1
expect 2 "--max_receive_mb must be in [1, 2047], got 2048" --max_receive_mb=2048
expect 2 "--max_receive_mb must be in [1, 2047], got 0" --max_receive_mb=0
expect 1 "requires TLS" --auth_tokens /dev/null
expect 1 "cannot read server certificate" --tls_cert /nonexistent/cert.pem --tls_key /nonexistent/key.pem
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  echo "skip: a GPU is present, --device cuda would start"
else
  expect 1 "no CUDA device is usable" --device cuda
fi
echo "server flags: $passed passed, $fail failed"
[ "$fail" -eq 0 ]
