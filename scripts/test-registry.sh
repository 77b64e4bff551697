#!/bin/sh
# Start or stop a real OCI registry (Debian's docker-registry, i.e. distribution 2.8,
# which has no referrers API) on 127.0.0.1 with TLS from a throwaway test CA and
# htpasswd Basic auth, for tests/oci_registry.rs.
#
#   scripts/test-registry.sh start   # installs packages if needed, starts, prints env
#   scripts/test-registry.sh stop
#
# `start` writes the variables the tests read to target/test-registry/env and prints
# them; use them with:  . target/test-registry/env
#   RULEPACK_TEST_REGISTRY=127.0.0.1:PORT  RULEPACK_TEST_REGISTRY_CA=.../ca.pem
#   RULEPACK_TEST_REGISTRY_USER            RULEPACK_TEST_REGISTRY_PASSWORD
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/target/test-registry"
# The first free port from 5443 up (another checkout's registry may hold 5443), unless set.
port_in_use() {
  python3 -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null && return 1
  return 0
}
port="${RULEPACK_TEST_REGISTRY_PORT:-}"
if [ -z "$port" ]; then
  port=5443
  while port_in_use "$port"; do
    port=$((port + 1))
    [ "$port" -lt 5543 ] || { echo "no free port in 5443..5542" >&2; exit 1; }
  done
fi

stop() {
    if [ -f "$dir/pid" ]; then
        pid=$(cat "$dir/pid")
        # Stop only the registry this script started (its recorded pid).
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
        fi
        rm -f "$dir/pid"
    fi
}

case "${1:-}" in
stop)
    stop
    exit 0
    ;;
start) ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac

if ! command -v docker-registry >/dev/null 2>&1 || ! command -v htpasswd >/dev/null 2>&1 ||
    ! command -v openssl >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends docker-registry apache2-utils openssl >/dev/null 2>&1 ||
        { apt-get update >/dev/null && apt-get install -y --no-install-recommends docker-registry apache2-utils openssl >/dev/null; }
fi

stop
rm -rf "$dir"
mkdir -p "$dir/data"
cd "$dir"

# Test CA and a server certificate for 127.0.0.1 / localhost.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=rulepack-verify test CA" -keyout ca.key -out ca.pem \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile ext.cnf -out server.pem 2>/dev/null

user=rulepack
password=$(openssl rand -hex 16)
htpasswd -bBc htpasswd "$user" "$password" 2>/dev/null

cat >config.yml <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  tls:
    certificate: $dir/server.pem
    key: $dir/server.key
auth:
  htpasswd:
    realm: rulepack-test
    path: $dir/htpasswd
EOF

nohup /usr/bin/docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
echo $! >"$dir/pid"

# Wait until it completes a TLS handshake that verifies against the test CA.
i=0
until openssl s_client -connect "127.0.0.1:$port" -CAfile ca.pem </dev/null 2>/dev/null |
    grep -q "Verify return code: 0"; do
    i=$((i + 1))
    if [ "$i" -gt 50 ]; then
        echo "registry did not start; log:" >&2
        cat "$dir/registry.log" >&2
        exit 1
    fi
    sleep 0.2
done

cat >"$dir/env" <<EOF
export RULEPACK_TEST_REGISTRY=127.0.0.1:$port
export RULEPACK_TEST_REGISTRY_CA=$dir/ca.pem
export RULEPACK_TEST_REGISTRY_USER=$user
export RULEPACK_TEST_REGISTRY_PASSWORD=$password
EOF
echo "# registry running (pid $(cat "$dir/pid")); variables in $dir/env:"
cat "$dir/env"
