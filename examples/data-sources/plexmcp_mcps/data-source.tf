# Every MCP the provider's key can see.
data "plexmcp_mcps" "all" {}

# Only test-mode MCPs whose name starts with "Sandbox".
data "plexmcp_mcps" "sandboxes" {
  name_regex = "^Sandbox"
  mode       = "test"
}

# A test key that reaches exactly those MCPs.
resource "plexmcp_api_key" "sandbox" {
  name    = "sandbox-tests"
  mode    = "test"
  mcp_ids = data.plexmcp_mcps.sandboxes.ids
}

output "mcp_names" {
  value = data.plexmcp_mcps.all.mcps[*].name
}
