// Cosmos DB for NoSQL, serverless (pay per request and GB stored, nothing at rest), Entra ID only.
// Containers match functions/McpFunctions.Adapters/Cosmos/CosmosContainers.cs, which does not create them in
// Azure (COSMOS__createIfMissing=false): the data-plane role cannot create databases.
param name string
param location string
param tags object
param databaseName string
param appPrincipalId string
param deployerPrincipalId string = ''

// Built-in "Cosmos DB Built-in Data Contributor": read and write items, read metadata.
var dataContributor = '00000000-0000-0000-0000-000000000002'

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    capabilities: [
      {
        name: 'EnableServerless'
      }
    ]
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
  }
}

// Credentials: partition {tenantId}:{userId}, id {provider}:{account}; every write is ETag-conditional.
resource connections 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: 'connections'
  properties: {
    resource: {
      id: 'connections'
      partitionKey: {
        paths: ['/pk']
        kind: 'Hash'
        version: 2
      }
    }
  }
}

// Started authorizations and pending completions: TTL on with no default, each item carries its own "ttl".
resource oauthStates 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: 'oauth_states'
  properties: {
    resource: {
      id: 'oauth_states'
      partitionKey: {
        paths: ['/id']
        kind: 'Hash'
        version: 2
      }
      defaultTtl: -1
    }
  }
}

// The webhook outbox: events kept until delivered (or their own "ttl" runs out).
resource webhooks 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: 'webhooks'
  properties: {
    resource: {
      id: 'webhooks'
      partitionKey: {
        paths: ['/id']
        kind: 'Hash'
        version: 2
      }
      defaultTtl: -1
    }
  }
}

resource appData 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = {
  parent: account
  name: guid(account.id, appPrincipalId, dataContributor)
  properties: {
    principalId: appPrincipalId
    roleDefinitionId: '${account.id}/sqlRoleDefinitions/${dataContributor}'
    scope: account.id
  }
}

resource deployerData 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = if (!empty(deployerPrincipalId)) {
  parent: account
  name: guid(account.id, deployerPrincipalId, dataContributor)
  properties: {
    principalId: deployerPrincipalId
    roleDefinitionId: '${account.id}/sqlRoleDefinitions/${dataContributor}'
    scope: account.id
  }
}

output name string = account.name
output endpoint string = account.properties.documentEndpoint
