# Every MCP of the organisation.
data "plexmcp_mcps" "all" {}

# Only active, healthy MCPs whose name ends in "API".
data "plexmcp_mcps" "apis" {
  name_regex = "API$"
  status     = "active"
  health     = "healthy"
}

# A key that reaches exactly those MCPs.
resource "plexmcp_api_key" "apis" {
  name    = "api-consumers"
  mcp_ids = data.plexmcp_mcps.apis.ids
}

output "mcp_names" {
  value = data.plexmcp_mcps.all.mcps[*].name
}
