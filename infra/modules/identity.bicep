// The app's user-assigned managed identity: every data-plane grant (Storage, Cosmos DB, Key Vault, Application
// Insights) goes to it, and it survives re-creating the Function App.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
