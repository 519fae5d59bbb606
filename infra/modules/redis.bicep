// Azure Managed Redis, smallest SKU, TLS only. Access keys stay enabled because the pinned client
// (StackExchange.Redis 1.2.6, the only version our package feed restores) cannot authenticate with Entra ID
// tokens; the connection string with the key goes straight into Key Vault and the app reads it through a
// Key Vault reference, so it is in no app setting, output or log.
param name string
param location string
param tags object
param highAvailability bool
param keyVaultName string
param connectionStringSecretName string

resource cache 'Microsoft.Cache/redisEnterprise@2025-04-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Balanced_B0'
  }
  properties: {
    minimumTlsVersion: '1.2'
    highAvailability: highAvailability ? 'Enabled' : 'Disabled'
  }
}

resource database 'Microsoft.Cache/redisEnterprise/databases@2025-04-01' = {
  parent: cache
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: 10000
    // One endpoint that proxies to the shards: no cluster-aware client needed.
    clusteringPolicy: 'EnterpriseCluster'
    // Only keys with a TTL are evicted; everything the app writes to Redis has one.
    evictionPolicy: 'VolatileLRU'
    accessKeysAuthentication: 'Enabled'
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource connectionString 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: connectionStringSecretName
  properties: {
    contentType: 'StackExchange.Redis configuration string'
    value: '${cache.properties.hostName}:10000,password=${database.listKeys().primaryKey},ssl=True,abortConnect=False'
  }
}

output hostName string = cache.properties.hostName
output connectionStringSecretName string = connectionString.name
