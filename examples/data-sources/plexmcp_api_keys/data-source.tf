# PlexMCP's hosted API: a self-hosted PlexMCP server lists no keys to API keys.

# Every active key whose name starts with "ci-", wherever it was created.
data "plexmcp_api_keys" "ci" {
  status     = "active"
  name_regex = "^ci-"
}

# Keys that have never been used: candidates for revocation.
output "unused_ci_keys" {
  value = [
    for k in data.plexmcp_api_keys.ci.api_keys : "${k.name} (${k.key_prefix})"
    if k.last_used == null
  ]
}

# Keys that expired and could be cleaned up in the dashboard.
data "plexmcp_api_keys" "expired" {
  status = "expired"
}

output "expired_key_count" {
  value = length(data.plexmcp_api_keys.expired.api_keys)
}
