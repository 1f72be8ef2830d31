# One PlexMCP key per environment, each limited to what it needs.
# `make demo` applies this against a local reference server.
terraform {
  required_providers {
    plexmcp = {
      source = "plexmcp/plexmcp"
    }
  }
}

# Reads PLEXMCP_API_KEY and PLEXMCP_BASE_URL from the environment; the base URL
# says which PlexMCP API it is (…/v1 hosted, …/api/v1 a PlexMCP server).
provider "plexmcp" {}

module "production" {
  source             = "../modules/environment-keys"
  environment        = "production"
  application        = "quickstart"
  mcp_names          = ["Weather API", "Calculator"]
  expires_in_days    = 90
  rotate_before_days = 14
}

module "staging" {
  source          = "../modules/environment-keys"
  environment     = "staging"
  application     = "quickstart"
  mcp_names       = ["Weather API"]
  expires_in_days = 30
}

module "development" {
  source      = "../modules/environment-keys"
  environment = "development"
  application = "quickstart"
  mcp_names   = ["Sandbox"]
}

locals {
  environments = {
    production  = module.production
    staging     = module.staging
    development = module.development
  }
}

output "keys" {
  description = "Per environment: key id, prefix and the MCPs it may invoke."
  value = { for env, m in local.environments : env => {
    id         = m.key_id
    key_prefix = m.key_prefix
    mcp_ids    = m.mcp_ids
    expires_at = m.expires_at
  } }
}

output "secrets" {
  description = "The keys themselves, per environment."
  value       = { for env, m in local.environments : env => m.key }
  sensitive   = true
}
