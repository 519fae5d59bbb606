#!/usr/bin/env bash
# Local development.
#   ./run.sh                     local stack (Cosmos DB + Redis) and the HTTP host on :7071
#   ./run.sh --stand-ins         the same, with Notion served by the local Notion stand-in (no Notion
#                                account or network needed); prints a demo integration key
#   ./run.sh token ARGS...       mint a development JWT, e.g. ./run.sh token --user alice --tenant acme
#                                (the last line of output is the token alone)
set -euo pipefail
cd "$(dirname "$0")"
export ASPNETCORE_ENVIRONMENT=Development DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
project=functions/McpFunctions.LocalHost
standins_project=tests/McpFunctions.StandIns

if [[ ${1:-} == token ]]; then
  shift
  # Build output goes to stderr so that stdout carries only what the command prints.
  dotnet build "$project" -c Release -v q -nologo >&2
  exec dotnet run --project "$project" -c Release --no-build --no-launch-profile -- token "$@"
fi

standins=false
case ${1:-} in
  --stand-ins) standins=true ;;
  "") ;;
  *) echo "usage: ./run.sh [--stand-ins] | ./run.sh token --user ID --tenant ID [--minutes N]" >&2; exit 2 ;;
esac

# shellcheck source=tools/stack.sh
source tools/stack.sh
stack_install
state=.run/local
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  stack_stop "$state"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
stack_start "$state"

dotnet build "$project" -c Release -v q -nologo
key_hint='"api_key":"ntn_..."'
if $standins; then
  dotnet build "$standins_project" -c Release -v q -nologo
  rm -f "$state/stand-ins.env"
  dotnet "$standins_project/bin/Release/net10.0/McpFunctions.StandIns.dll" "$state/stand-ins.env" &
  pids+=($!)
  for _ in $(seq 1 300); do [[ -f $state/stand-ins.env ]] && break; sleep 0.1; done
  [[ -f $state/stand-ins.env ]] || { echo "run.sh: the Notion stand-in did not start" >&2; exit 1; }
  set -a
  # shellcheck disable=SC1091
  source "$state/stand-ins.env"
  set +a
  key_hint="\"api_key\":\"$NOTION_DEMO_KEY\""
fi

cat <<HELP

What next (in another terminal):
  TOKEN=\$(./run.sh token --user alice --tenant acme | tail -n 1)
  curl -s localhost:7071/api/health
  curl -s -X POST localhost:7071/api/mcp/notion/connect -H "Authorization: Bearer \$TOKEN" \\
    -H 'Content-Type: application/json' -d '{$key_hint}'
The README's "Five minutes with the API" goes on from there. Ctrl+C stops the host and the stack.

HELP
# In the background and waited for, so that any signal to this script runs the traps at once
# and the EXIT trap stops the host together with the stack.
dotnet "$project/bin/Release/net10.0/McpFunctions.LocalHost.dll" --urls http://localhost:7071 &
pids+=($!)
wait "${pids[-1]}"
