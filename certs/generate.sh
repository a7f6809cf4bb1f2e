#!/usr/bin/env bash
# Makes a local certificate authority and a server certificate signed by it, for running pushgate
# behind nginx on https/wss in development and tests. NOT for production: use a publicly trusted
# certificate there (docs/deployment.md: "A real certificate").
#
#   certs/generate.sh [--out DIR] [--new-ca] [NAME...]
#
# The server certificate covers localhost, 127.0.0.1, ::1 and every NAME given (a DNS name or an IP
# address). Files, in DIR (default: this script's directory, where nginx/pushgate.conf expects them):
#
#   ca.crt, ca.key           the local CA (kept across runs, so you trust it once; --new-ca replaces it)
#   server.crt, server.key   the server certificate (leaf) and its key, for nginx
#
# Generated files are ignored by git. Needs openssl 1.1.1 or newer.
set -euo pipefail

out="$(cd "$(dirname "$0")" && pwd)"
new_ca=0
names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --out=*) out="${1#--out=}"; shift ;;
    --new-ca) new_ca=1; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option: $1" >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
  esac
done

command -v openssl >/dev/null || { echo "openssl is required" >&2; exit 1; }
mkdir -p "$out"
cd "$out"
umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Subject alternative names: browsers ignore the CN, the SAN is what they check.
san="DNS:localhost,IP:127.0.0.1,IP:::1"
cn="localhost"
for n in "${names[@]+"${names[@]}"}"; do
  if [[ "$n" =~ ^[0-9.]+$ || "$n" == *:* ]]; then
    san="$san,IP:$n"
  else
    san="$san,DNS:$n"
    [ "$cn" = "localhost" ] && cn="$n"
  fi
done

if [ "$new_ca" = 1 ] || [ ! -s ca.crt ] || [ ! -s ca.key ]; then
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 -days 3650 -nodes \
    -keyout ca.key -out ca.crt -subj "/O=pushgate development/CN=pushgate local CA $(hostname -s 2>/dev/null || echo dev) $(date +%Y%m%d%H%M%S)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  echo "made a new local CA: $out/ca.crt"
else
  echo "reusing the local CA: $out/ca.crt (--new-ca to replace it)"
fi

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout server.key -out "$work/server.csr" -subj "/CN=$cn" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
cat > "$work/server.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=$san
EXT
# 397 days: the longest validity Apple platforms accept for a TLS server certificate.
openssl x509 -req -in "$work/server.csr" -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" \
  -days 397 -sha256 -extfile "$work/server.ext" -out server.crt 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
chmod 644 ca.crt server.crt
openssl verify -CAfile ca.crt server.crt >/dev/null

cat <<MSG
made the server certificate: $out/server.crt (key: server.key)
  names: ${san//,/, }

nginx (nginx/pushgate.conf) reads certs/server.crt and certs/server.key. Clients must trust
$out/ca.crt:
  system store (Debian/Ubuntu):  sudo cp "$out/ca.crt" /usr/local/share/ca-certificates/pushgate-dev-ca.crt && sudo update-ca-certificates
  system store (macOS):          sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain "$out/ca.crt"
  Chromium/Chrome on Linux (NSS, package libnss3-tools):
                                 certutil -d sql:\$HOME/.pki/nssdb -A -t "C,," -n pushgate-dev-ca -i "$out/ca.crt"
  Firefox:                       Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import
  Java:                          keytool -importcert -noprompt -alias pushgate-dev-ca -file "$out/ca.crt" \\
                                   -keystore dev-truststore.p12 -storetype PKCS12 -storepass changeit
                                 then run with -Djavax.net.ssl.trustStore=dev-truststore.p12 -Djavax.net.ssl.trustStorePassword=changeit
  curl:                          curl --cacert "$out/ca.crt" https://localhost/demo/
  Node:                          NODE_EXTRA_CA_CERTS="$out/ca.crt" node app.js
WeChat mini-programs on a phone never accept this CA: they need a publicly trusted certificate.
MSG
