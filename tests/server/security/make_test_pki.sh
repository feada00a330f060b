#!/usr/bin/env bash
# Makes a throw-away PKI for the TLS tests with the openssl CLI:
#   ca1.pem            CA the server and the good client chain to
#   ca2.pem            another CA (a stranger to the server)
#   server1.{pem,key}  server certificate from ca1 (localhost, 127.0.0.1)
#   server2.{pem,key}  server certificate from ca2 (used for rotation)
#   client1.{pem,key}  client certificate from ca1
#   client2.{pem,key}  client certificate from ca2
# Usage: make_test_pki.sh <out-dir>
set -euo pipefail
out=$1
mkdir -p "$out"
cd "$out"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
for ca in ca1 ca2; do
  key $ca.key
  openssl req -x509 -new -key $ca.key -out $ca.pem -days 2 -subj "/CN=lsms test $ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
done
leaf() {  # name ca usage
  key $1.key
  openssl req -new -key $1.key -out $1.csr -subj "/CN=$1" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=%s\n' "$3" > $1.ext
  openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial -out $1.pem -days 2 -extfile $1.ext 2>/dev/null
  rm -f $1.csr $1.ext
}
leaf server1 ca1 serverAuth
leaf server2 ca2 serverAuth
leaf client1 ca1 clientAuth
leaf client2 ca2 clientAuth
