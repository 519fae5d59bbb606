// McpFunctions on Azure, for `azd up`: a Flex Consumption Function App with a user-assigned identity and no keys
// anywhere it can be avoided. Cosmos DB (serverless, Entra ID only), Key Vault (RBAC) holding the key-encryption key
// and every secret, Azure Managed Redis, Storage without shared keys, Application Insights without local auth.
// Every resource is a plain resource in ./modules, so each property the app depends on is visible here.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name: names the resource group and seeds the unique suffix of every resource name.')
param environmentName string

@minLength(1)
@description('Region of every resource. It must offer Flex Consumption and Azure Managed Redis (e.g. eastus2, westeurope, swedencentral).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@minLength(2)
@maxLength(10)
@description('Short prefix in resource names (lowercase letters and digits).')
param namePrefix string = 'mcp'

@description('Object id of the person or pipeline running azd: gets Key Vault Secrets Officer (to create the key-encryption key and set provider secrets) and Cosmos DB data access. Empty to skip.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
param principalType string = 'User'

@description('OAuth return-URL allowlist, comma-separated: the chat product pages a finished OAuth flow may send the browser to (exact URLs, or prefixes ending in /). Required once a provider has an OAuth client.')
param oauthReturnUrls string = ''

@description('Return URL of OAuth flows started from a tool call (the MCP URL elicitation): the chat page the browser lands on afterwards. Must be on the allowlist. Empty: the first entry of oauthReturnUrls.')
param oauthDefaultReturnUrl string = ''

@description('OAuth clients, comma-separated provider=clientId pairs (e.g. "github=Iv1.0123abcd,notion=1f2e..."). Each client secret must be in Key Vault as oauth-<provider>-client-secret BEFORE the app starts with it (see README).')
param oauthClientIds string = ''

@description('Provider API base URLs, comma-separated provider=url pairs, for providers whose host is per customer (e.g. "qlik=https://acme.eu.qlikcloud.com").')
param providerBaseUrls string = ''

@description('OpenID Connect issuer of the chat backend\'s tokens. Empty: this tenant\'s Entra ID v2.0 endpoint.')
param authAuthority string = ''

@description('Claim of the chat backend\'s tokens that holds the tenant id (Entra ID: tid).')
param authTenantClaim string = 'tid'

@description('Tenant for tokens that carry no tenant claim (issuers without tenants). Empty: such tokens are refused.')
param authDefaultTenant string = ''

@minLength(1)
@description('Audience the chat backend\'s tokens are issued for (the Application ID URI of its Entra ID app registration).')
param authAudience string

@description('Role or scope an operator\'s token needs for /api/admin/keys.')
param adminRole string = 'McpFunctions.Admin'

@description('Turn on POST /api/mcp/{provider}/token, which hands provider access tokens to trusted callers.')
param tokenEndpointEnabled bool = false

@description('Role or scope a caller\'s token needs for the token endpoint (when enabled).')
param tokenEndpointRole string = 'McpFunctions.TokenReader'

@description('Browser origins allowed to call /api/mcp, comma-separated (e.g. "https://chat.example.com"). Empty: browsers are refused; server-side clients send no Origin and are unaffected.')
param mcpAllowedOrigins string = ''

@description('Receiver of connection events (https). Empty: webhooks off. The HMAC secret is generated into Key Vault as webhook-hmac-secret.')
param webhookUrl string = ''

@description('NCRONTAB schedules (second minute hour day month day-of-week, UTC) of the timer functions.')
param refreshSchedule string = '0 */5 * * * *'
param rewrapSchedule string = '0 17 * * * *'
param webhookSchedule string = '0 */1 * * * *'

@description('False (default, least privilege): the app identity gets Key Vault Secrets User only; operators add key versions with the CLI and call rotate?reload=true (docs/key-rotation.md). True: Secrets Officer, so POST /api/admin/keys/rotate can add versions itself.')
param appCanRotateKek bool = false

@description('Azure Managed Redis with a replica (doubles its price). The cache holds nothing that Cosmos DB does not.')
param redisHighAvailability bool = false

@description('Key Vault purge protection: a deleted vault (and the key-encryption key, without which no stored credential can be read) stays recoverable for 90 days. Turning it on cannot be undone.')
param keyVaultPurgeProtection bool = true

@description('Flex Consumption scale-out limit and instance size.')
param maximumInstanceCount int = 40
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var prefix = toLower(namePrefix)
var tags = { 'azd-env-name': environmentName }
var functionAppName = 'func-${prefix}-${resourceToken}'
var keyVaultName = 'kv${take(replace(prefix, '-', ''), 7)}${resourceToken}'
var kekSecretName = 'mcp-kek'
var redisSecretName = 'redis-connection-string'
var webhookSecretName = 'webhook-hmac-secret'
var databaseName = 'mcpfunctions'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-${prefix}-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${prefix}-${resourceToken}'
    applicationInsightsName: 'appi-${prefix}-${resourceToken}'
    location: location
    tags: tags
    publisherPrincipalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${take(replace(prefix, '-', ''), 8)}${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package-${take(functionAppName, 32)}'
    dataPrincipalId: identity.outputs.principalId
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    name: 'cosmos-${prefix}-${resourceToken}'
    location: location
    tags: tags
    databaseName: databaseName
    appPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    purgeProtection: keyVaultPurgeProtection
    appPrincipalId: identity.outputs.principalId
    appCanWriteSecrets: appCanRotateKek
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module redis 'modules/redis.bicep' = {
  name: 'redis'
  scope: rg
  params: {
    name: 'redis-${prefix}-${resourceToken}'
    location: location
    tags: tags
    highAvailability: redisHighAvailability
    keyVaultName: keyVault.outputs.name
    connectionStringSecretName: redisSecretName
  }
}

// Settings that come from comma-separated parameters: one app setting per entry.
var returnUrls = filter(map(split(oauthReturnUrls, ','), u => trim(u)), u => !empty(u))
var clientPairs = filter(map(split(oauthClientIds, ','), p => trim(p)), p => !empty(p))
var baseUrlPairs = filter(map(split(providerBaseUrls, ','), p => trim(p)), p => !empty(p))
var allowedOrigins = filter(map(split(mcpAllowedOrigins, ','), o => trim(o)), o => !empty(o))

var returnUrlSettings = reduce(range(0, length(returnUrls)), {}, (settings, i) => union(settings, {
  'OAuth__ReturnUrlAllowlist__${i}': returnUrls[i]
}))

// The first allowlist entry is on the allowlist by definition, so the app's startup check accepts it. concat() with ''
// gives first() something to return when there is no allowlist at all.
var defaultReturnUrl = !empty(trim(oauthDefaultReturnUrl)) ? trim(oauthDefaultReturnUrl) : first(concat(returnUrls, ['']))

// Settings written only when they have a value, so the app's settings show what was chosen and nothing else.
var optionalSettings = union(
  empty(defaultReturnUrl) ? {} : { OAuth__DefaultReturnUrl: defaultReturnUrl },
  empty(authDefaultTenant) ? {} : { Auth__DefaultTenant: authDefaultTenant }
)

var originSettings = reduce(range(0, length(allowedOrigins)), {}, (settings, i) => union(settings, {
  'Mcp__AllowedOrigins__${i}': allowedOrigins[i]
}))

// Client secrets are Key Vault references, resolved by the platform with the app's identity; the value never
// passes through a deployment, a parameter file or azd's environment.
var clientSettings = reduce(clientPairs, {}, (settings, pair) => union(settings, {
  'Providers__${substring(pair, 0, indexOf(pair, '='))}__ClientId': substring(pair, indexOf(pair, '=') + 1)
  'Providers__${substring(pair, 0, indexOf(pair, '='))}__ClientSecret': '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=oauth-${substring(pair, 0, indexOf(pair, '='))}-client-secret)'
}))

var baseUrlSettings = reduce(baseUrlPairs, {}, (settings, pair) => union(settings, {
  'Providers__${substring(pair, 0, indexOf(pair, '='))}__BaseUrl': substring(pair, indexOf(pair, '=') + 1)
}))

// Providers added without code (docs/oauth.md): infra/providers.json maps a provider id to its catalog entry, and
// each becomes the app setting Providers__{id}__Definition, so a definition is part of every provision instead of
// a setting that the next provision would remove.
var providerDefinitions = loadJsonContent('providers.json')
var definitionSettings = reduce(items(providerDefinitions), {}, (settings, provider) => union(settings, {
  'Providers__${provider.key}__Definition': string(provider.value)
}))

var webhookSettings = empty(webhookUrl) ? {} : {
  WEBHOOK_URL: webhookUrl
  WEBHOOK_HMAC_SECRET: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${webhookSecretName})'
}

module api 'modules/functionapp.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${prefix}-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    appSettings: union(
      {
        // Identity for every Azure SDK client (DefaultAzureCredential reads it); the per-service clientId settings say the same.
        AZURE_CLIENT_ID: identity.outputs.clientId

        COSMOS__accountEndpoint: cosmos.outputs.endpoint
        COSMOS__clientId: identity.outputs.clientId
        COSMOS__databaseName: databaseName
        // Bicep creates the database and containers; the data-plane role cannot, and need not.
        COSMOS__createIfMissing: 'false'

        KeyRing__Source: 'KeyVault'
        KEY_VAULT__vaultUri: keyVault.outputs.uri
        KEY_VAULT__secretName: kekSecretName
        KEY_VAULT__clientId: identity.outputs.clientId

        // StackExchange.Redis 1.2.6 cannot authenticate with Entra ID tokens, so Redis uses its access key,
        // kept in Key Vault (see infra/README.md).
        REDIS_CONNECTION_STRING: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${redis.outputs.connectionStringSecretName})'

        Auth__Authority: !empty(authAuthority) ? authAuthority : '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        Auth__Audience: authAudience
        Auth__TenantClaim: authTenantClaim
        Auth__AdminRole: adminRole

        OAuth__RequireCompletion: 'true'
        // GET / answers 404 instead of the Functions host's default page: nothing here is for browsers.
        AzureWebJobsDisableHomepage: 'true'
        TokenEndpoint__Enabled: tokenEndpointEnabled ? 'true' : 'false'
        TokenEndpoint__RequiredRole: tokenEndpointRole

        // A timer trigger's %SETTING% must exist or the host does not index the function.
        REFRESH_SCHEDULE: refreshSchedule
        REWRAP_SCHEDULE: rewrapSchedule
        WEBHOOK_SCHEDULE: webhookSchedule
      },
      returnUrlSettings,
      optionalSettings,
      originSettings,
      clientSettings,
      baseUrlSettings,
      definitionSettings,
      webhookSettings
    )
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_ENDPOINT_URL string = api.outputs.uri
output OAUTH_CALLBACK_URL string = api.outputs.callbackUrl
output AZURE_CLIENT_ID string = identity.outputs.clientId
output KEY_VAULT_NAME string = keyVault.outputs.name
output KEY_VAULT__vaultUri string = keyVault.outputs.uri
output KEY_VAULT__secretName string = kekSecretName
output COSMOS__accountEndpoint string = cosmos.outputs.endpoint
output COSMOS__databaseName string = databaseName
output REDIS_HOST_NAME string = redis.outputs.hostName
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
