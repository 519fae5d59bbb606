#!/usr/bin/env bash
# Latency, throughput, CPU and memory of a tools/call through the LocalHost, against the Notion stand-in,
# compared in the same run with calling the stand-in directly and with the same tools/call through the
# peer, a hand-written MCP server on the official SDK (tests/McpFunctions.BenchPeer; docs/benchmarks.md).
#   ./bench.sh [--prime S] [--rounds N] [--warmup S] [--duration S] [--ping-duration S] [--callers 1,32]
# (--prime: the servers' warm-up, 30 s; --rounds: interleaved rounds, 3, the report takes medians)
# Prints the results table (markdown) on stdout and writes it to .run/bench/results.md;
# exits non-zero when any measured request failed (the run is then invalid).
#
# The token-refresh sweep at scale, against the real OAuth server (oidc-provider):
#   ./bench.sh --sweep [--stored 20000] [--due 2000] [--parallelism N] [--batch N] [--seed-parallelism 32] [--idle-sweeps 10]
# Writes .run/bench/sweep.md; exits non-zero unless every due connection was refreshed exactly once.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
# shellcheck source=tools/stack.sh
source tools/stack.sh

stack_install
state=.run/bench
mkdir -p "$state"
trap 'stack_stop "$state"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Build first (the LocalHost and the peer come with the bench project), so the stack does not idle meanwhile.
echo "bench: building (Release)" >&2
dotnet build tests/McpFunctions.Bench/McpFunctions.Bench.csproj -c Release -v q -nologo -clp:ErrorsOnly >&2

stack_start "$state"
# The Cosmos server's and Redis' CPU time are charged to the work measured too.
BENCH_COSMOS_PID=$(<"$state/cosmos.pid")
BENCH_REDIS_PID=$(<"$state/redis.pid")
export BENCH_COSMOS_PID BENCH_REDIS_PID

bench=tests/McpFunctions.Bench/bin/Release/net10.0/McpFunctions.Bench.dll
if [[ ${1:-} == --sweep ]]; then
  dotnet "$bench" --sweep --out "$state/sweep.md" "${@:2}"
  exit
fi

dotnet "$bench" \
  --out "$state/results.md" \
  --localhost functions/McpFunctions.LocalHost/bin/Release/net10.0/McpFunctions.LocalHost.dll \
  --peer tests/McpFunctions.BenchPeer/bin/Release/net10.0/McpFunctions.BenchPeer.dll \
  "$@"
