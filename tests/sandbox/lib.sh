# Shared by tests/sandbox/up and tests/sandbox/down. Sourced, not run.
#
# Everything the sandbox creates lives under $STATE (keys, known_hosts, data dirs, logs,
# compose projects, the generated pilothouse config). Every daemon is started in the
# background with its pid file under $STATE/run and stopped by that pid.

set -euo pipefail

SANDBOX_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SANDBOX_SRC/../.." && pwd)
STATE=${PILOTHOUSE_SANDBOX_DIR:-/var/lib/pilothouse-sandbox}
RUN=$STATE/run
LOGS=$STATE/logs

# The "host" the console reaches over SSH.
DOCKER_SOCK=${PILOTHOUSE_SANDBOX_DOCKER_SOCK:-/var/run/docker.sock}
# A login that is not in the docker group (tests of a socket that refuses its user).
GUEST=pilothouse-guest
SSH_PORT=2222
REGISTRY_ADDR=127.0.0.1:5000
PG_STAGING_PORT=5433
PG_PRODUCTION_PORT=5434
TLS_HEALTH_PORT=18443

# What each environment runs. Ports are loopback-only, one per service.
STAGING_SERVICES="redis gateway order-service print-service shipping-service gridflock-service slicer web uptime-kuma dozzle scheduler worker"
PRODUCTION_SERVICES="redis gateway order-service print-service web scheduler worker"
# The BullMQ queues the scheduler feeds and the worker consumes (tests/sandbox/bullmq).
QUEUES="order-sync,prints,labels"
# Services that hold a database pool (DATABASE_POOL_SIZE connections each).
POOL_SERVICES="gateway order-service print-service shipping-service gridflock-service"
# Images built from the demo service and pushed under every tag.
APP_IMAGES="gateway order-service print-service shipping-service gridflock-service slicer web"
STANDIN_IMAGES="uptime-kuma dozzle pgadmin"
TAGS="v1 v2 broken"

say() { printf '%s sandbox: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

die() {
  printf 'sandbox: FAILED: %s\n' "$1" >&2
  if [ -n "${2:-}" ] && [ -f "$2" ]; then
    printf -- '--- last 30 lines of %s ---\n' "$2" >&2
    tail -n 30 "$2" >&2
    printf -- '--- end of %s ---\n' "$2" >&2
  fi
  exit 1
}

need_root() {
  [ "$(id -u)" = 0 ] || die "the sandbox runs dockerd, sshd and PostgreSQL and must run as root"
}

# pid_alive NAME: the daemon whose pid file is $RUN/NAME.pid is running (and that pid is
# still that daemon, not a reused pid after the machine killed everything).
pid_alive() {
  local f=$RUN/$1.pid pid exe
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null || return 1
  case $1 in
    dockerd | swarm-*) exe=dockerd ;;
    registry) exe=docker-registry ;;
    sshd) exe=sshd ;;
    postgres-*) exe=postgres ;;
    tls-health) exe=s_server ;;
    *) return 0 ;;
  esac
  case "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" in *"$exe"*) return 0 ;; *) return 1 ;; esac
}

# wait_for SECONDS LOG DESCRIPTION COMMAND...: retry COMMAND until it succeeds.
wait_for() {
  local secs=$1 log=$2 what=$3
  shift 3
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      die "$what did not come up within ${secs}s" "$log"
    fi
    sleep 0.3
  done
}

# stop_pid NAME [SECONDS]: TERM the daemon, wait, then KILL; remove its pid file.
stop_pid() {
  local name=$1 secs=${2:-20} f=$RUN/$1.pid pid
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + secs))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      say "$name did not stop within ${secs}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}

docker_() { docker -H "unix://$DOCKER_SOCK" "$@"; }

compose_() {
  local env=$1
  shift
  (cd "$STATE/opt/$env" && DOCKER_HOST="unix://$DOCKER_SOCK" docker-compose \
    -f docker-compose.yml "$@")
}
