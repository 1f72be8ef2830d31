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

# A second provider configuration that acts with the short-lived key's
# permissions only: it sees, and may invoke, just the Weather API.
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
