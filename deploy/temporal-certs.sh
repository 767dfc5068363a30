#!/usr/bin/env bash
# Certificates for mTLS between Jarvis and Temporal (docker-compose.temporal.yml), made with
# openssl alone:
#
#   bash deploy/temporal-certs.sh [OUT_DIR] [SERVER_NAME...]
#
# OUT_DIR defaults to deploy/certs (ignored by git and by docker build). SERVER_NAME defaults to
# "temporal", the frontend's name on the compose network; every name given goes into the server
# certificate's subjectAltName (add the DNS name clients outside compose use, if any).
#
# It writes, all private keys 0600:
#   ca.pem            the CA that signs the server and the clients (Temporal, Jarvis and the UI trust it)
#   ca.key            the CA's key: move it offline once the certificates are made
#   server.pem/.key   Temporal's frontend and internode certificate (serverAuth and clientAuth)
#   jarvis.pem/.key   Jarvis's worker and API (TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY)
#   temporal-ui.pem/.key     the Web UI's connection to the frontend
#   temporal-admin.pem/.key  the admin tools (search attributes, namespaces)
#
# An existing CA in OUT_DIR is reused, so clients can be re-issued without touching the server:
# delete a client's two files and run again. Certificates last CERT_DAYS (default 397) days.
# Any process holding a client certificate this CA signed has full access to Temporal (the
# server checks the chain, not who you are): keep the keys as secret as the Proxmox token.
set -euo pipefail

OUT=${1:-"$(cd "$(dirname "$0")" && pwd)/certs"}
shift || true
NAMES=("$@")
[ ${#NAMES[@]} -gt 0 ] || NAMES=(temporal)
DAYS=${CERT_DAYS:-397}

command -v openssl >/dev/null || { echo "openssl is required" >&2; exit 1; }
for n in "${NAMES[@]}"; do
  [[ $n =~ ^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$ ]] || { echo "not a DNS name: $n" >&2; exit 1; }
done

umask 077
mkdir -p "$OUT"
chmod 700 "$OUT"
cd "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }

if [ ! -s ca.pem ] || [ ! -s ca.key ]; then
  key ca.key
  cat >"$WORK/ca.ext" <<'EOF'
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
  openssl req -new -key ca.key -subj "/O=Jarvis/CN=Jarvis Temporal CA" -out "$WORK/ca.csr"
  openssl x509 -req -in "$WORK/ca.csr" -signkey ca.key -days 3650 -sha256 -extfile "$WORK/ca.ext" -out ca.pem 2>/dev/null
  echo "made ca.pem (and ca.key: keep it offline)"
fi

# issue NAME CN EXTENDED_KEY_USAGE [SAN]
issue() {
  local name=$1 cn=$2 eku=$3 san=${4:-}
  if [ -s "$name.pem" ] && [ -s "$name.key" ]; then echo "kept $name.pem"; return; fi
  key "$name.key"
  {
    echo "basicConstraints = critical, CA:FALSE"
    echo "keyUsage = critical, digitalSignature, keyEncipherment"
    echo "extendedKeyUsage = $eku"
    echo "authorityKeyIdentifier = keyid"
    [ -z "$san" ] || echo "subjectAltName = $san"
  } >"$WORK/$name.ext"
  openssl req -new -key "$name.key" -subj "/O=Jarvis/CN=$cn" -out "$WORK/$name.csr"
  openssl x509 -req -in "$WORK/$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -CAserial "$WORK/ca.srl" \
    -days "$DAYS" -sha256 -extfile "$WORK/$name.ext" -out "$name.pem" 2>/dev/null
  openssl verify -CAfile ca.pem "$name.pem" >/dev/null
  echo "made $name.pem"
}

SAN=$(printf 'DNS:%s,' "${NAMES[@]}")
issue server "${NAMES[0]}" "serverAuth, clientAuth" "${SAN%,}"
issue jarvis jarvis clientAuth
issue temporal-ui temporal-ui clientAuth
issue temporal-admin temporal-admin clientAuth
chmod 644 ./*.pem
