#!/usr/bin/env bash
# A local cluster of the reference server on existing engines: PostgreSQL and
# Redis from Debian's packages on loopback ports, two server nodes, and
# HAProxy in front of them as the one address clients use.
#
#   bash scripts/cluster.sh start    # prints the address; demo accounts seeded
#   bash scripts/cluster.sh stop
#   bash scripts/cluster.sh status
#   bash scripts/cluster.sh engines  # only PostgreSQL and Redis (the tests' own nodes use them)
#
# Ports (change with the variables): PostgreSQL 55432, Redis 56379, nodes
# 8801 and 8802, HAProxy 8800. State under $MENTORLIVE_CLUSTER_DIR
# (/var/tmp/mentorlive-cluster). Needs root (PostgreSQL runs as `postgres`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

dir=${MENTORLIVE_CLUSTER_DIR:-/var/tmp/mentorlive-cluster}
pg_port=${MENTORLIVE_PG_PORT:-55432}
redis_port=${MENTORLIVE_REDIS_PORT:-56379}
node_ports=(${MENTORLIVE_NODE_PORTS:-8801 8802})
lb_port=${MENTORLIVE_LB_PORT:-8800}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pg_url="postgres://mentorlive@127.0.0.1:$pg_port/mentorlive"
redis_url="redis://127.0.0.1:$redis_port"

as_postgres() { runuser -u postgres -- "$@"; }

wait_port() {
  for _ in $(seq 100); do
    if (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "cluster: nothing listens on port $1" >&2
  return 1
}

start_engines() {
  mkdir -p "$dir"
  chmod 755 "$dir"
  if [ ! -f "$dir/pg/PG_VERSION" ]; then
    install -d -o postgres -g postgres "$dir/pg"
    # Loopback only, trust on loopback: a cluster for one machine's tests.
    as_postgres "$pg_bin/initdb" -D "$dir/pg" -A trust -U postgres >/dev/null
  fi
  if ! as_postgres "$pg_bin/pg_ctl" -D "$dir/pg" status >/dev/null 2>&1; then
    as_postgres "$pg_bin/pg_ctl" -D "$dir/pg" -l "$dir/pg/server.log" -w \
      -o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir/pg -c max_connections=300 -c fsync=on" start >/dev/null
  fi
  psql() { as_postgres /usr/bin/psql -h 127.0.0.1 -p "$pg_port" -U postgres -qAt "$@"; }
  psql -c "SELECT 1 FROM pg_roles WHERE rolname = 'mentorlive'" | grep -q 1 ||
    psql -c "CREATE ROLE mentorlive LOGIN CREATEDB"
  psql -c "SELECT 1 FROM pg_database WHERE datname = 'mentorlive'" | grep -q 1 ||
    psql -c "CREATE DATABASE mentorlive OWNER mentorlive"
  if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir"
  fi
  wait_port "$redis_port"
}

start_nodes() {
  cargo build --quiet --locked -p mentorlive-server
  local first=1 servers=""
  for port in "${node_ports[@]}"; do
    if [ -f "$dir/node-$port.pid" ] && kill -0 "$(cat "$dir/node-$port.pid")" 2>/dev/null; then continue; fi
    seed=()
    [ $first = 1 ] && seed=(--seed-demo)
    "$CARGO_TARGET_DIR/debug/mentorlive-server" --addr "127.0.0.1:$port" --db "$pg_url" \
      --redis "$redis_url" --node-id "node-$port" --trusted-proxy 127.0.0.1 "${seed[@]}" >"$dir/node-$port.out" 2>"$dir/node-$port.log" &
    echo $! >"$dir/node-$port.pid"
    wait_port "$port"
    first=0
  done
  for port in "${node_ports[@]}"; do
    servers+="    server node-$port 127.0.0.1:$port check inter 500ms fall 2 rise 1 cookie node-$port
"
  done
  # Sticky by cookie (Socket.IO's long-polling needs every request of one
  # client on one node), round robin for new clients, nodes out when their
  # health check fails.
  cat >"$dir/haproxy.cfg" <<EOF
global
    maxconn 9000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
frontend mentorlive
    bind 127.0.0.1:$lb_port
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /api/health
    option forwardfor
    cookie MENTORLIVE_NODE insert indirect nocache
$servers
EOF
  if [ -f "$dir/haproxy.pid" ] && kill -0 "$(cat "$dir/haproxy.pid")" 2>/dev/null; then
    kill "$(cat "$dir/haproxy.pid")"
  fi
  haproxy -D -p "$dir/haproxy.pid" -f "$dir/haproxy.cfg"
  wait_port "$lb_port"
}

stop_all() {
  for pidfile in "$dir"/node-*.pid "$dir/haproxy.pid"; do
    [ -f "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  if [ -f "$dir/pg/PG_VERSION" ]; then
    as_postgres "$pg_bin/pg_ctl" -D "$dir/pg" -m fast stop >/dev/null 2>&1 || true
  fi
}

case "${1:-}" in
  engines)
    start_engines
    echo "postgres $pg_url"
    echo "redis $redis_url"
    ;;
  start)
    start_engines
    start_nodes
    echo "listening on http://127.0.0.1:$lb_port (nodes ${node_ports[*]}; postgres $pg_url; redis $redis_url)"
    ;;
  stop) stop_all ;;
  status)
    for port in "$pg_port" "$redis_port" "${node_ports[@]}" "$lb_port"; do
      if (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then echo "$port up"; else echo "$port down"; fi
    done
    ;;
  *)
    echo "usage: $0 start|stop|status|engines" >&2
    exit 2
    ;;
esac
