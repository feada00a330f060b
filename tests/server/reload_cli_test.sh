#!/usr/bin/env bash
# Hot reload from the outside: lsms-client bench keeps a running lsms-server
# busy while its checkpoint file is replaced and the server gets SIGHUP, then
# while an admin swaps back with `lsms-client reload`. Every request must
# succeed, and the version switch must show in GetModelInfo and /metrics.
# Usage: reload_cli_test.sh <lsms-server> <lsms-client> <lsms-checkpoint> <checkpoint> <pki-script> <images>
set -uo pipefail
server=$1 client=$2 ckpt_tool=$3 checkpoint=$4 pki_script=$5 images=$6
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
fail=0
cp "$checkpoint" "$work/a.safetensors"
"$ckpt_tool" --in "$checkpoint" --out "$work/b.safetensors" --version reload-test-b >/dev/null ||
  { echo "FAIL: cannot restamp the checkpoint"; exit 1; }
cp "$work/a.safetensors" "$work/serving.safetensors"
"$pki_script" "$work/pki" >/dev/null || { echo "FAIL: cannot make certificates"; exit 1; }
admin="tok-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf 'ops sha256:%s admin\n' "$(printf %s "$admin" | sha256sum | cut -d' ' -f1)" > "$work/tokens"

"$server" --checkpoint "$work/serving.safetensors" --device cpu --listen 127.0.0.1:0 --port_file "$work/port" \
  --metrics_listen 127.0.0.1:0 --tls_cert "$work/pki/server1.pem" --tls_key "$work/pki/server1.key" \
  --auth_tokens "$work/tokens" --max_batch_size 4 2>"$work/server.log" &
pid=$!
for _ in $(seq 600); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port" 2>/dev/null)
[ -n "$port" ] || { echo "FAIL: server did not start"; tail "$work/server.log"; exit 1; }
conn=(--target "localhost:$port" --ca "$work/pki/ca1.pem" --token "$admin")
for _ in $(seq 600); do "$client" health "${conn[@]}" >/dev/null 2>&1 && break; sleep 0.1; done
version() { "$client" info "${conn[@]}" 2>/dev/null | sed -n 's/^version: "\(.*\)"$/\1/p'; }
before=$(version)

# ~12 s of closed-loop load at concurrency 4 across both swaps.
"$client" bench "${conn[@]}" --input "$images" --concurrency 4 --warmup 0s --window 3s --max_windows 4 \
  --stability 0 --csv "$work/bench.csv" --json "$work/bench.json" >"$work/bench.out" 2>&1 &
bench=$!
sleep 3
cp "$work/b.safetensors" "$work/serving.tmp" && mv "$work/serving.tmp" "$work/serving.safetensors"
kill -HUP $pid
for _ in $(seq 100); do [ "$(version)" = reload-test-b ] && break; sleep 0.1; done
after_hup=$(version)
sleep 2
"$client" reload "${conn[@]}" --checkpoint "$work/a.safetensors" >"$work/reload.out" 2>&1 ||
  { echo "FAIL: lsms-client reload: $(cat "$work/reload.out")"; fail=1; }
after_rpc=$(version)
wait $bench || { echo "FAIL: bench exited $?: $(tail -5 "$work/bench.out")"; fail=1; }

echo "versions: start $before, after SIGHUP $after_hup, after the reload RPC $after_rpc"
[ "$after_hup" = reload-test-b ] || { echo "FAIL: SIGHUP did not switch the version"; fail=1; }
[ "$after_rpc" = "$before" ] || { echo "FAIL: the reload RPC did not switch back"; fail=1; }
grep -q "now serving $before" "$work/reload.out" || { echo "FAIL: reload printed: $(cat "$work/reload.out")"; fail=1; }
# bench.csv: mode,level,sent,completed,measured_ok,errors,...
read -r sent completed errors < <(awk -F, 'NR>1 {s+=$3; c+=$4; e+=$6} END {print s, c, e}' "$work/bench.csv")
echo "bench: $sent sent, $completed completed, $errors errors"
[ "${errors:-1}" -eq 0 ] && [ "${completed:-0}" -gt 0 ] || { echo "FAIL: requests failed during the swaps"; fail=1; }
kill -TERM $pid; wait $pid; pid=""
grep '"rpc":"ReloadModel"' "$work/server.log" | grep '"caller":"ops"' | grep -q '"status":"OK"' ||
  { echo "FAIL: the reload is not in the audit log"; fail=1; }
[ $fail -eq 0 ] && echo "reload cli: all passed"
exit $fail
