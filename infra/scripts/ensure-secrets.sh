#!/usr/bin/env sh
# Creates, once, the Key Vault secrets Bicep cannot make: Bicep has no cryptographic random source, and a
# secret declared in Bicep would get a new value on every deployment.
#   mcp-kek              the key-encryption key: base64 of 32 bytes from openssl's CSPRNG
#   webhook-hmac-secret  the webhook signing secret: 32 random bytes, hex
# A secret that exists (even disabled, or soft-deleted: it is recovered) is never replaced; losing the
# key-encryption key would make every stored credential unreadable. Rotation is docs/key-rotation.md.
#
# azd runs this after `azd provision` with the template's outputs in the environment. By hand:
#   KEY_VAULT_NAME=kv... infra/scripts/ensure-secrets.sh
# Needs the Azure CLI (signed in as someone with Key Vault Secrets Officer on the vault) and openssl.
set -eu

vault=${KEY_VAULT_NAME:?KEY_VAULT_NAME is not set (an output of infra/main.bicep; run after azd provision)}
kek=${KEY_VAULT__secretName:-mcp-kek}

for tool in az openssl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "ensure-secrets: '$tool' is required" >&2; exit 1; }
done

err=$(mktemp)
trap 'rm -f "$err"' EXIT

# Prints present | absent | deleted; waits out the minutes a new role assignment takes to apply.
state() {
  attempt=1
  while :; do
    if az keyvault secret show --vault-name "$vault" --name "$1" --query id -o none 2>"$err"; then
      echo present; return
    fi
    if grep -q 'SecretNotFound' "$err"; then
      if az keyvault secret show-deleted --vault-name "$vault" --name "$1" --query recoveryId -o none 2>/dev/null; then
        echo deleted
      else
        echo absent
      fi
      return
    fi
    if [ "$attempt" -ge 20 ]; then
      echo "ensure-secrets: cannot read $1 in $vault:" >&2
      cat "$err" >&2
      exit 1
    fi
    echo "ensure-secrets: waiting for Key Vault access (role assignments take a few minutes to apply; $attempt/20)" >&2
    attempt=$((attempt + 1))
    sleep "${ENSURE_SECRETS_WAIT:-15}" # seconds between tries (tests set 0)
  done
}

# NAME CONTENT_TYPE GENERATOR...
ensure() {
  name=$1 content_type=$2
  shift 2
  found=$(state "$name") # (a failure inside exits here, through set -e)
  case $found in
    present)
      echo "ensure-secrets: $name exists in $vault; left as it is" ;;
    deleted)
      az keyvault secret recover --vault-name "$vault" --name "$name" -o none
      echo "ensure-secrets: $name was soft-deleted in $vault; recovered, not replaced" ;;
    absent)
      # Through stdin, so the value is never on a command line.
      "$@" | tr -d '\n' | az keyvault secret set --vault-name "$vault" --name "$name" \
        --file /dev/stdin --encoding utf-8 --content-type "$content_type" -o none
      echo "ensure-secrets: created $name in $vault" ;;
  esac
}

ensure "$kek" "McpFunctions key-encryption key (base64, 32 bytes)" openssl rand -base64 32
ensure webhook-hmac-secret "McpFunctions webhook HMAC-SHA256 key" openssl rand -hex 32
