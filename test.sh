#!/usr/bin/env bash
# Runs the tests against a fresh local stack (Cosmos DB + Redis on loopback, see tools/stack.sh)
# and ends with a plain `N passed, N failed[, N skipped]` line for CI.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
# shellcheck source=tools/stack.sh
source tools/stack.sh

stack_install
state=".run/test-$$"
mkdir -p "$state"
trap 'stack_stop "$state"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
stack_start "$state"

# infra/ compiled and linted by the Bicep CLI from our feed; the tests read the compiled template.
tools/bicep.sh "$state/main.json"
export MCP_TEST_ARM_TEMPLATE="$PWD/$state/main.json"

# Kiota (dotnet-tools.json): the OpenAPI tests generate a client from /api/openapi.json and compile it.
dotnet tool restore >/dev/null

# The whole solution, the Function App with the real Worker SDK included, warnings as errors.
dotnet build McpFunctions.sln -c Release -v q -nologo

rc=0
dotnet test tests/McpFunctions.Tests/McpFunctions.Tests.csproj -c Release --no-build \
  --logger "console;verbosity=minimal" \
  --logger "trx;LogFileName=results.trx" --results-directory "$state" || rc=$?

if [[ -f "$state/results.trx" ]]; then
  node tools/localstack/trx-summary.mjs "$state/results.trx"
else
  echo "test.sh: no test results (build failed?)" >&2
fi
exit "$rc"
