#!/usr/bin/env bash
# Local development.
#   ./run.sh                     local stack (Cosmos DB + Redis) and the HTTP host on :7071
#   ./run.sh token ARGS...       mint a development JWT, e.g. ./run.sh token --user alice --tenant acme
#                                (the last line of output is the token alone)
set -euo pipefail
cd "$(dirname "$0")"
export ASPNETCORE_ENVIRONMENT=Development DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
project=functions/McpFunctions.LocalHost

if [[ ${1:-} == token ]]; then
  shift
  # Build output goes to stderr so that stdout carries only what the command prints.
  dotnet build "$project" -c Release -v q -nologo >&2
  exec dotnet run --project "$project" -c Release --no-build --no-launch-profile -- token "$@"
fi

# shellcheck source=tools/stack.sh
source tools/stack.sh
stack_install
state=.run/local
trap 'stack_stop "$state"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
stack_start "$state"

cat <<'HELP'

What next (in another terminal):
  TOKEN=$(./run.sh token --user alice --tenant acme | tail -n 1)
  curl -s localhost:7071/api/health
  curl -s -X POST localhost:7071/api/mcp/notion/connect -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d '{"api_key":"secret_..."}'
Ctrl+C stops the host and the stack.

HELP
# In the background and waited for, so that any signal to this script runs the traps at once
# and the EXIT trap stops the host together with the stack.
dotnet build "$project" -c Release -v q -nologo
dotnet "$project/bin/Release/net10.0/McpFunctions.LocalHost.dll" --urls http://localhost:7071 &
host=$!
trap 'kill "$host" 2>/dev/null; wait "$host" 2>/dev/null; stack_stop "$state"' EXIT
wait "$host"
