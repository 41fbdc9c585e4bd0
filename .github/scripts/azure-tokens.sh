#!/usr/bin/env bash
# Takes, right after azure/login, every access token a preview or deploy job gets through the
# Azure CLI.
#
# azure/login signs the CLI in with GitHub's OIDC ID token, which is valid for minutes only, and
# the CLI cannot fetch a new one: a token for a resource first asked for later in the run would
# fail (AADSTS700024, Azure/azure-cli#28708). Tokens taken now are cached by the CLI and handed out
# until they expire (about an hour for a service principal), to every client that asks the CLI:
#
# - the state backend (azblob://) and the Key Vault secrets provider: Pulumi's Go CDK uses
#   DefaultAzureCredential, which falls through to the Azure CLI;
# - the program's dynamic providers (@azure/identity's DefaultAzureCredential → AzureCliCredential:
#   PostgreSQL tokens for Kong's role, ARM tokens for the migration jobs) and @pulumi/postgresql's
#   azureIdentityAuth (DefaultAzureCredential → Azure CLI, one PostgreSQL token at configure time).
#
# azure-native and azuread do not depend on this: with ARM_USE_OIDC they request fresh GitHub ID
# tokens themselves. An update that needs a CLI-issued token more than an hour after this step
# fails: run such an update (a first deployment of a large stack) from an operator's machine.
set -euo pipefail

resources=(
  https://management.azure.com              # Azure Resource Manager (az, migration jobs)
  https://storage.azure.com                 # Pulumi state in Azure Blob Storage
  https://vault.azure.net                   # Pulumi secrets provider (Azure Key Vault)
  https://ossrdbms-aad.database.windows.net # Entra sign-in to Azure Database for PostgreSQL
)
for resource in "${resources[@]}"; do
  az account get-access-token --resource "$resource" --output none --only-show-errors
  echo "Cached a token for $resource"
done
