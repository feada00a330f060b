#!/usr/bin/env bash
# lsms-server with mutual TLS and bearer tokens, driven by lsms-client with
# the flags it has (--ca --cert --key --token): served with the right
# credentials, refused (exit 7 or 3) without; the server's log names the
# caller and holds no token.
# Usage: tls_cli_test.sh <lsms-server> <lsms-client> <checkpoint> <pki-script> <dicom>
set -uo pipefail
server=$1 client=$2 checkpoint=$3 pki_script=$4 dicom=$5
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
"$pki_script" "$work/pki" || { echo "FAIL: cannot make certificates"; exit 1; }
token="tok-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf 'cli-test sha256:%s segment\n' "$(printf %s "$token" | sha256sum | cut -d' ' -f1)" > "$work/tokens"

"$server" --checkpoint "$checkpoint" --device cpu --listen 127.0.0.1:0 --port_file "$work/port" \
  --metrics_listen "" --tls_cert "$work/pki/server1.pem" --tls_key "$work/pki/server1.key" \
  --tls_client_ca "$work/pki/ca1.pem" --auth_tokens "$work/tokens" 2>"$work/server.log" &
pid=$!
for _ in $(seq 600); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port" 2>/dev/null)
[ -n "$port" ] || { echo "FAIL: server did not start"; cat "$work/server.log"; exit 1; }
tls=(--target "localhost:$port" --ca "$work/pki/ca1.pem" --cert "$work/pki/client1.pem" --key "$work/pki/client1.key")
for _ in $(seq 600); do "$client" health "${tls[@]}" >/dev/null 2>&1 && break; sleep 0.1; done

fail=0
check() {  # check <want_rc> <what> <args...>
  local want=$1 what=$2; shift 2
  "$client" "$@" >"$work/out" 2>&1
  local rc=$?
  if [ "$rc" -ne "$want" ]; then echo "FAIL: $what: rc $rc (want $want): $(tail -c 300 "$work/out")"; fail=1;
  else echo "ok: $what (rc $rc)"; fi
}
check 0 "health needs no token" health "${tls[@]}"
check 0 "info with the token" info "${tls[@]}" --token "$token"
grep -q 'version:' "$work/out" || { echo "FAIL: info printed no version"; fail=1; }
check 7 "info without a token" info "${tls[@]}"
check 7 "info with a wrong token" info "${tls[@]}" --token "tok-wrong"
check 0 "segment with the token" segment "${tls[@]}" --token "$token" --input "$dicom" \
  --expression "the largest lesion" --out "$work/seg"
check 3 "plaintext client" info --target "127.0.0.1:$port" --token "$token"
check 3 "TLS client without a client certificate" info --target "localhost:$port" --ca "$work/pki/ca1.pem" --token "$token"

kill -TERM $pid; wait $pid
grep -q '"caller":"cli-test"' "$work/server.log" || { echo "FAIL: no audit line names the caller"; fail=1; }
grep -q '"caller":"unauthenticated"' "$work/server.log" || { echo "FAIL: refused calls are not audited"; fail=1; }
if grep -qF "$token" "$work/server.log"; then echo "FAIL: the token is in the server log"; fail=1; fi
[ $fail -eq 0 ] && echo "tls cli: all passed"
exit $fail
