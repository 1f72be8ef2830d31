data "plexmcp_mcp" "weather" {
  name = "Weather API"
}

# A key that exists only while this run does: created when Terraform opens
# it, revoked when the run ends, and expiring after 15 minutes even if the
# run is killed. It is never written to state or plan files.
ephemeral "plexmcp_api_key" "ci" {
  name    = "ci-run"
  mcp_ids = [data.plexmcp_mcp.weather.id]
  ttl     = "15m"
}

# A second provider configuration that authenticates with the short-lived
# key, so nothing it runs holds a long-lived one. (It sees every MCP of the
# organisation, as every key does; the key may invoke only the Weather API.)
provider "plexmcp" {
  alias   = "short_lived"
  api_key = ephemeral.plexmcp_api_key.ci.key
}

data "plexmcp_mcps" "reachable" {
  provider = plexmcp.short_lived
}

output "reachable_mcps" {
  value = data.plexmcp_mcps.reachable.ids
}
