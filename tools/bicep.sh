#!/usr/bin/env bash
# Compiles and lints infra/ with the Bicep CLI from our NuGet feed (Azure.Bicep.CommandLine.linux-x64, restored by
# tools/bicep/Bicep.csproj). infra/bicepconfig.json makes the linter's warnings errors; any diagnostic fails.
#   tools/bicep.sh OUT.json     build infra/main.bicep to OUT.json and lint every .bicep file under infra/
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out=${1:?usage: tools/bicep.sh OUT.json}
version=$(sed -n 's/.*Azure.Bicep.CommandLine.linux-x64" Version="\[\([^]]*\)\]".*/\1/p' "$root/tools/bicep/Bicep.csproj")
packages=${NUGET_PACKAGES:-$HOME/.nuget/packages}
bicep="$packages/azure.bicep.commandline.linux-x64/$version/tools/bicep"
if [[ ! -f $bicep ]]; then
  dotnet restore "$root/tools/bicep/Bicep.csproj" -v q -nologo >&2
fi
[[ -x $bicep ]] || chmod +x "$bicep"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
"$bicep" build "$root/infra/main.bicep" --outfile "$out" >"$log" 2>&1 || status=$?
while IFS= read -r file; do
  "$bicep" lint "$file" >>"$log" 2>&1 || status=$?
done < <(find "$root/infra" -name '*.bicep' | sort)
if [[ $status -ne 0 || -s $log ]]; then
  cat "$log" >&2
  echo "bicep: infra/ has diagnostics (see above)" >&2
  exit 1
fi
echo "bicep: infra/main.bicep built to $out; lint clean" >&2
