#!/usr/bin/env bash
# Prepare this machine for Tickstream: npm packages, Debian packages (etcd, NATS, Redis, PostgreSQL),
# running PostgreSQL/Redis/NATS, and the `tickstream` database. Idempotent; a second run does no work
# and takes well under a second. It does NOT start etcd: `deploy/local/with-stack.ts` does that.
#
# Prints one line per thing it did or found, e.g. "etcd: installed 3.4.23", "postgres: up on 5432".
# Exits non-zero with a line naming what could not be installed or started.
#
# Environment overrides (all optional):
#   PG_PORT=5432        port where PostgreSQL is expected (the Debian cluster's own port is set in its
#                       postgresql.conf; this only changes where we look and connect)
#   REDIS_PORT=6379     port of Redis; started there when nothing answers
#   NATS_PORT=4222      port of NATS; started there (with JetStream, store under .data/) when nothing answers
#   TICKSTREAM_DB=tickstream   name of the project database to create
#   SETUP_SKIP_NPM=1    do not check or install npm packages
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

PG_PORT="${PG_PORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"
NATS_PORT="${NATS_PORT:-4222}"
TICKSTREAM_DB="${TICKSTREAM_DB:-tickstream}"
DATA_DIR="$ROOT/.data"
APT_LOG="$DATA_DIR/setup-apt.log"
START_NS="$(date +%s%N)"

say() { printf '%s\n' "$*"; }
fail() {
  printf 'setup: FAILED: %s\n' "$*" >&2
  exit 1
}

# True when something accepts TCP connections on 127.0.0.1:$1 (loopback refuses at once when closed).
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Wait up to $2 seconds for port $1 to answer.
wait_port() {
  local port="$1" deadline=$((SECONDS + $2))
  while ! port_open "$port"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

mkdir -p "$DATA_DIR"

# ---------------------------------------------------------------- npm packages
if [[ "${SETUP_SKIP_NPM:-}" != "1" ]]; then
  if [[ ! -d node_modules ]] || { [[ -f package-lock.json ]] && [[ package-lock.json -nt node_modules/.package-lock.json ]]; }; then
    if [[ -f package-lock.json ]]; then npm_cmd=(npm ci --no-audit --no-fund); else npm_cmd=(npm install --no-audit --no-fund); fi
    if ! "${npm_cmd[@]}"; then
      # The registry this machine reaches may lack other platforms' builds of the newest optional packages
      # (biome, rollup), which npm ci counts as a lockfile out of sync: install from package.json instead.
      say "npm: '${npm_cmd[*]}' failed; trying npm install"
      npm_cmd=(npm install --no-audit --no-fund)
      "${npm_cmd[@]}" || fail "npm packages could not be installed ('${npm_cmd[*]}' failed)"
    fi
    # npm may write package-lock.json after node_modules/.package-lock.json: mark node_modules as current.
    mkdir -p node_modules && touch node_modules/.package-lock.json
    say "npm: installed packages (${npm_cmd[*]:0:2})"
  else
    say "npm: node_modules up to date"
  fi
fi

# ---------------------------------------------------------------- Debian packages
pg_bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
have_etcd() { command -v etcd >/dev/null 2>&1 || [[ -x /usr/bin/etcd ]]; }
nats_bin() { command -v nats-server 2>/dev/null || { [[ -x /usr/sbin/nats-server ]] && echo /usr/sbin/nats-server; }; }
redis_bin() { command -v redis-server 2>/dev/null || { [[ -x /usr/bin/redis-server ]] && echo /usr/bin/redis-server; }; }
have_postgres() { [[ -n "$(pg_bin_dir)" ]] && [[ -x "$(pg_bin_dir)/postgres" ]] && command -v pg_ctlcluster >/dev/null 2>&1; }

missing=()
have_etcd || missing+=(etcd-server)
[[ -n "$(nats_bin || true)" ]] || missing+=(nats-server)
[[ -n "$(redis_bin || true)" ]] || missing+=(redis-server)
have_postgres || missing+=(postgresql)

if ((${#missing[@]} > 0)); then
  command -v apt-get >/dev/null 2>&1 || fail "missing ${missing[*]} and apt-get is not available to install them"
  : >"$APT_LOG"
  if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$APT_LOG" 2>&1; then
    tail -n 20 "$APT_LOG" >&2
    fail "apt-get update failed (needed to install ${missing[*]}); log: $APT_LOG"
  fi
  for pkg in "${missing[@]}"; do
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >>"$APT_LOG" 2>&1; then
      tail -n 20 "$APT_LOG" >&2
      fail "could not install Debian package $pkg; log: $APT_LOG"
    fi
  done
fi

installed_or_found() { [[ " ${missing[*]} " == *" $1 "* ]] && echo installed || echo found; }

have_etcd || fail "etcd: /usr/bin/etcd still missing after installing etcd-server"
say "etcd: $(installed_or_found etcd-server) $(etcd --version 2>/dev/null | awk '/etcd Version/ {print $3}')"
NATS_BIN="$(nats_bin)" || fail "nats: nats-server still missing after installing nats-server"
say "nats: $(installed_or_found nats-server) $("$NATS_BIN" --version 2>/dev/null | awk '{print $2}' | tr -d v)"
REDIS_BIN="$(redis_bin)" || fail "redis: redis-server still missing after installing redis-server"
say "redis: $(installed_or_found redis-server) $("$REDIS_BIN" --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')"
have_postgres || fail "postgres: server binaries still missing after installing postgresql"
PG_VERSION="$(basename "$(dirname "$(pg_bin_dir)")")"
say "postgres: $(installed_or_found postgresql) $PG_VERSION"

# ---------------------------------------------------------------- PostgreSQL
if port_open "$PG_PORT"; then
  say "postgres: up on $PG_PORT"
else
  if [[ ! -d "/etc/postgresql/$PG_VERSION/main" ]]; then
    pg_createcluster "$PG_VERSION" main >/dev/null || fail "postgres: could not create cluster $PG_VERSION/main"
    say "postgres: created cluster $PG_VERSION/main"
  fi
  read -r _ _ cluster_port cluster_status _ < <(pg_lsclusters -h "$PG_VERSION" main 2>/dev/null) || true
  if [[ "${cluster_status:-}" == online ]]; then
    fail "postgres: cluster $PG_VERSION/main runs on port $cluster_port, nothing answers on PG_PORT=$PG_PORT"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start ||
    fail "postgres: could not start cluster $PG_VERSION/main (see /var/log/postgresql/)"
  wait_port "$PG_PORT" 30 || fail "postgres: started cluster $PG_VERSION/main but nothing answers on $PG_PORT"
  say "postgres: started on $PG_PORT"
fi

pg_tcp() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -w -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

if ! pg_tcp -d postgres -c 'select 1' >/dev/null 2>&1; then
  # A fresh Debian install asks for a password over TCP; the local stack uses trust on loopback.
  hba="/etc/postgresql/$PG_VERSION/main/pg_hba.conf"
  [[ -f "$hba" ]] || fail "postgres: cannot connect as postgres on 127.0.0.1:$PG_PORT and $hba does not exist"
  sed -i -E 's#^(host\s+all\s+all\s+(127\.0\.0\.1/32|::1/128)\s+)\S+#\1trust#' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main reload || fail "postgres: could not reload $hba"
  pg_tcp -d postgres -c 'select 1' >/dev/null ||
    fail "postgres: cannot connect as user postgres on 127.0.0.1:$PG_PORT without a password, even after setting trust in $hba"
  say "postgres: set trust auth for loopback in $hba"
fi

if [[ "$(pg_tcp -d postgres -c "select 1 from pg_database where datname = '$TICKSTREAM_DB'")" == "1" ]]; then
  say "postgres: database $TICKSTREAM_DB exists"
else
  pg_tcp -d postgres -c "create database \"$TICKSTREAM_DB\" owner postgres" >/dev/null ||
    fail "postgres: could not create database $TICKSTREAM_DB"
  say "postgres: created database $TICKSTREAM_DB"
fi

# ---------------------------------------------------------------- Redis
if port_open "$REDIS_PORT"; then
  say "redis: up on $REDIS_PORT"
else
  mkdir -p /var/lib/redis /var/log/redis
  "$REDIS_BIN" --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null ||
    fail "redis: could not start redis-server on $REDIS_PORT (see /var/log/redis/ci.log)"
  wait_port "$REDIS_PORT" 15 || fail "redis: started redis-server but nothing answers on $REDIS_PORT (see /var/log/redis/ci.log)"
  say "redis: started on $REDIS_PORT"
fi

# ---------------------------------------------------------------- NATS (JetStream)
if port_open "$NATS_PORT"; then
  say "nats: up on $NATS_PORT"
else
  nats_dir="$DATA_DIR/nats-$NATS_PORT"
  mkdir -p "$nats_dir"
  # Own session and no inherited descriptors: it outlives this script and does not hold npm's pipes open.
  setsid "$NATS_BIN" -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$nats_dir" -l "$nats_dir/server.log" \
    -P "$nats_dir/nats.pid" </dev/null >/dev/null 2>&1 &
  wait_port "$NATS_PORT" 15 || fail "nats: started nats-server but nothing answers on $NATS_PORT (see $nats_dir/server.log)"
  say "nats: started on $NATS_PORT with JetStream (store $nats_dir)"
fi

say "setup: done in $(((($(date +%s%N) - START_NS) / 1000000)))ms"
