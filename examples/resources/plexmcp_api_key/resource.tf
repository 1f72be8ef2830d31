data "plexmcp_mcp" "weather" {
  name = "Weather API"
}

# A key for CI that reaches one MCP, lives 90 days and is rotated by any
# apply in its last 14 days. The new key exists before the old is revoked.
resource "plexmcp_api_key" "ci" {
  name               = "ci-production"
  description        = "GitHub Actions deploys"
  mcp_ids            = [data.plexmcp_mcp.weather.id]
  expires_in_days    = 90
  rotate_before_days = 14

  lifecycle {
    create_before_destroy = true
  }
}

# A key for every MCP of the organisation, including MCPs added later,
# replaced whenever the version string changes.
resource "plexmcp_api_key" "dev" {
  name     = "developers"
  all_mcps = true

  rotation_triggers = {
    version = "2026-11"
  }

  lifecycle {
    create_before_destroy = true
  }
}

output "ci_key_prefix" {
  value = plexmcp_api_key.ci.key_prefix
}

output "ci_key" {
  value     = plexmcp_api_key.ci.key
  sensitive = true
}
