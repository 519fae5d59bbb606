# shellcheck shell=bash
# The local stack: real Cosmos DB (tools/localstack/cosmos.mjs) and Redis on loopback ports.
# Sourced by run.sh and test.sh:
#   stack_install            install what is missing (redis-server via apt, npm ci)
#   stack_start STATE_DIR    start both, wait until they answer, export the connection settings
#   stack_stop STATE_DIR     stop what stack_start started there (idempotent)

STACK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_LOCALSTACK="$STACK_ROOT/tools/localstack"
# The Cosmos emulator's well-known key (public; the local server does not check it).
STACK_COSMOS_KEY='C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=='
STACK_TIMEOUT=${STACK_TIMEOUT:-30}

_stack_say() { echo "stack: $*" >&2; }

# Runs a command quietly; on failure prints its output and the failure.
_stack_quiet() {
  local out
  out=$(mktemp)
  if ! "$@" >"$out" 2>&1; then
    cat "$out" >&2
    rm -f "$out"
    _stack_say "FAILED: $*"
    return 1
  fi
  rm -f "$out"
}

stack_install() {
  command -v node >/dev/null || { _stack_say "node is required (Node 20)"; return 1; }
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    _stack_say "installing redis-server (apt)"
    _stack_quiet apt-get update || return 1
    _stack_quiet env DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server || return 1
  fi
  # npm writes node_modules/.package-lock.json on every install: older than the lockfile = stale.
  if [[ ! -f "$STACK_LOCALSTACK/node_modules/.package-lock.json" ||
        "$STACK_LOCALSTACK/package-lock.json" -nt "$STACK_LOCALSTACK/node_modules/.package-lock.json" ]]; then
    _stack_say "npm ci in tools/localstack"
    _stack_quiet npm ci --prefix "$STACK_LOCALSTACK" --no-audit --no-fund || return 1
  fi
}

# A free loopback TCP port (the kernel picks it; a tiny race until the server binds it).
_stack_free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# True while PID runs and its command line contains WHAT (guards against a reused pid).
_stack_alive() {
  local pid=$1 what=$2 state
  [[ -r /proc/$pid/stat ]] || return 1
  state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1) || return 1
  # The redirection itself fails if the process exits meanwhile: silence that too.
  [[ $state != Z ]] && { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$what"
}

_stack_fail() { # STATE_DIR NAME: print the server's log, stop everything, fail
  _stack_say "$2 did not start; its log ($1/$2.log):"
  tail -n 50 "$1/$2.log" >&2 || true
  stack_stop "$1"
  return 1
}

stack_start() {
  local state=${1:?usage: stack_start STATE_DIR} deadline cosmos_pid redis_pid redis_port cosmos_port=""
  mkdir -p "$state" && state=$(cd "$state" && pwd) || return 1
  stack_stop "$state" # leftovers of an earlier run in the same dir
  command -v redis-cli >/dev/null || { _stack_say "redis-cli missing: run stack_install"; return 1; }

  # Cosmos binds port 0 and prints the port it got: no race.
  node "$STACK_LOCALSTACK/cosmos.mjs" 0 >"$state/cosmos.log" 2>&1 &
  cosmos_pid=$!
  echo "$cosmos_pid" >"$state/cosmos.pid"

  redis_port=$(_stack_free_port) || return 1
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --dir "$state" >"$state/redis.log" 2>&1 &
  redis_pid=$!
  echo "$redis_pid" >"$state/redis.pid"

  deadline=$((SECONDS + STACK_TIMEOUT))
  while [[ -z $cosmos_port ]]; do
    cosmos_port=$(sed -n 's#^cosmos ready on https://127\.0\.0\.1:\([0-9]*\)/$#\1#p' "$state/cosmos.log")
    [[ -n $cosmos_port ]] && break
    if ! _stack_alive "$cosmos_pid" cosmos.mjs || ((SECONDS > deadline)); then _stack_fail "$state" cosmos; return 1; fi
    sleep 0.1
  done
  # (timeout: redis-cli waits forever on a port held by something that is not Redis)
  until [[ $(timeout 2 redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null) == PONG ]]; do
    if ! _stack_alive "$redis_pid" redis-server || ((SECONDS > deadline)); then _stack_fail "$state" redis; return 1; fi
    sleep 0.1
  done

  export STACK_COSMOS_PORT=$cosmos_port STACK_REDIS_PORT=$redis_port
  export COSMOS__accountEndpoint="https://127.0.0.1:$cosmos_port/"
  export COSMOS__accountKey=$STACK_COSMOS_KEY
  export COSMOS__trustLoopbackCertificate=true # the package's certificate is self-signed and expired
  export REDIS_CONNECTION_STRING="127.0.0.1:$redis_port"
  # The same settings for other shells: `set -a; . STATE_DIR/stack.env; set +a`.
  {
    echo "STACK_COSMOS_PORT=$cosmos_port"
    echo "STACK_REDIS_PORT=$redis_port"
    echo "COSMOS__accountEndpoint=$COSMOS__accountEndpoint"
    echo "COSMOS__accountKey=$STACK_COSMOS_KEY"
    echo "COSMOS__trustLoopbackCertificate=true"
    echo "REDIS_CONNECTION_STRING=$REDIS_CONNECTION_STRING"
  } >"$state/stack.env"
  _stack_say "cosmos https://127.0.0.1:$cosmos_port/ (pid $cosmos_pid), redis 127.0.0.1:$redis_port (pid $redis_pid)"
}

stack_stop() {
  local state=${1:?usage: stack_stop STATE_DIR} name what pid i
  for name in cosmos redis; do
    [[ -f "$state/$name.pid" ]] || continue
    pid=$(<"$state/$name.pid")
    what=$([[ $name == cosmos ]] && echo cosmos.mjs || echo redis-server)
    if [[ $pid =~ ^[0-9]+$ ]] && _stack_alive "$pid" "$what"; then
      kill -TERM "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do # up to 5 s, then SIGKILL
        _stack_alive "$pid" "$what" || break
        sleep 0.1
      done
      if _stack_alive "$pid" "$what"; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$state/$name.pid"
  done
  return 0
}
