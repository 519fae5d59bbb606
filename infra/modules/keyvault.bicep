// Key Vault with Azure RBAC (no access policies). Holds the key-encryption key (secret "mcp-kek", one version per
// key), the Redis connection string, the webhook HMAC secret and the providers' OAuth client secrets.
// The key-encryption key itself is NOT created here: Bicep has no cryptographic random source, and a secret
// resource would be rewritten on every deployment. infra/scripts/ensure-secrets.sh creates it once (azd runs it
// after provisioning) from 32 bytes of openssl's CSPRNG.
param name string
param location string
param tags object
param purgeProtection bool
param appPrincipalId string
@description('Secrets Officer instead of Secrets User for the app: needed for POST /api/admin/keys/rotate to add key versions.')
param appCanWriteSecrets bool
param deployerPrincipalId string = ''
param deployerPrincipalType string = 'User'

var secretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var secretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // Once true it cannot be set back to false; null leaves it off.
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

resource appRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, appCanWriteSecrets ? secretsOfficer : secretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', appCanWriteSecrets ? secretsOfficer : secretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource deployerRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, secretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsOfficer)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
