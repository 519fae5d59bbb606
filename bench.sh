#!/usr/bin/env bash
# Latency, throughput and memory of a tools/call through the LocalHost, against the Notion stand-in,
# compared in the same run with calling the stand-in directly (docs/benchmarks.md).
#   ./bench.sh [--warmup S] [--duration S] [--ping-duration S] [--callers 1,32]
# Prints the results table (markdown) on stdout and writes it to .run/bench/results.md;
# exits non-zero when any measured request failed (the run is then invalid).
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

# Build first (the LocalHost comes with the bench project), so the stack does not idle meanwhile.
echo "bench: building (Release)" >&2
dotnet build tests/McpFunctions.Bench/McpFunctions.Bench.csproj -c Release -v q -nologo -clp:ErrorsOnly >&2

stack_start "$state"
# The Cosmos server's CPU time is charged per request too.
BENCH_COSMOS_PID=$(<"$state/cosmos.pid")
export BENCH_COSMOS_PID

dotnet tests/McpFunctions.Bench/bin/Release/net10.0/McpFunctions.Bench.dll \
  --out "$state/results.md" \
  --localhost functions/McpFunctions.LocalHost/bin/Release/net10.0/McpFunctions.LocalHost.dll \
  "$@"
