# Windows twin of ensure-secrets.sh (read that file for the why): creates the key-encryption key and the webhook
# HMAC secret in Key Vault once, from a cryptographic random source, and never replaces an existing secret.
$ErrorActionPreference = 'Stop'

$vault = $env:KEY_VAULT_NAME
if (-not $vault) { throw 'KEY_VAULT_NAME is not set (an output of infra/main.bicep; run after azd provision)' }
$kek = if ($env:KEY_VAULT__secretName) { $env:KEY_VAULT__secretName } else { 'mcp-kek' }
if (-not (Get-Command az -ErrorAction SilentlyContinue)) { throw "ensure-secrets: 'az' (Azure CLI) is required" }

function Get-SecretState([string] $name) {
  for ($attempt = 1; ; $attempt++) {
    $out = az keyvault secret show --vault-name $vault --name $name --query id -o tsv 2>&1
    if ($LASTEXITCODE -eq 0) { return 'present' }
    if ("$out" -match 'SecretNotFound') {
      az keyvault secret show-deleted --vault-name $vault --name $name --query recoveryId -o none 2>$null
      if ($LASTEXITCODE -eq 0) { return 'deleted' } else { return 'absent' }
    }
    if ($attempt -ge 20) { throw "ensure-secrets: cannot read $name in ${vault}: $out" }
    Write-Host "ensure-secrets: waiting for Key Vault access (role assignments take a few minutes to apply; $attempt/20)"
    Start-Sleep -Seconds 15
  }
}

function New-RandomBytes([int] $count) {
  $bytes = [byte[]]::new($count)
  [System.Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
  return , $bytes
}

function Set-SecretOnce([string] $name, [string] $contentType, [scriptblock] $generate) {
  switch (Get-SecretState $name) {
    'present' { Write-Host "ensure-secrets: $name exists in $vault; left as it is" }
    'deleted' {
      az keyvault secret recover --vault-name $vault --name $name -o none
      Write-Host "ensure-secrets: $name was soft-deleted in $vault; recovered, not replaced"
    }
    'absent' {
      # Through a file readable only by this user, so the value is never on a command line.
      $file = New-TemporaryFile
      try {
        [System.IO.File]::WriteAllText($file.FullName, (& $generate))
        az keyvault secret set --vault-name $vault --name $name --file $file.FullName --encoding utf-8 --content-type $contentType -o none
        if ($LASTEXITCODE -ne 0) { throw "ensure-secrets: could not create $name in $vault" }
      }
      finally {
        Remove-Item $file.FullName -Force
      }
      Write-Host "ensure-secrets: created $name in $vault"
    }
  }
}

Set-SecretOnce $kek 'McpFunctions key-encryption key (base64, 32 bytes)' { [Convert]::ToBase64String((New-RandomBytes 32)) }
Set-SecretOnce 'webhook-hmac-secret' 'McpFunctions webhook HMAC-SHA256 key' { [Convert]::ToHexString((New-RandomBytes 32)).ToLowerInvariant() }
