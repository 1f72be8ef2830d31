variable "ci_key_id" {
  description = "The id of the CI key, as shown in the PlexMCP dashboard."
  type        = string
}

# Usage and status of one key. The secret is never available here.
data "plexmcp_api_key" "ci" {
  id = var.ci_key_id
}

output "ci_key_usage" {
  value = {
    key_prefix     = data.plexmcp_api_key.ci.key_prefix
    status         = data.plexmcp_api_key.ci.status
    last_used      = data.plexmcp_api_key.ci.last_used
    total_requests = data.plexmcp_api_key.ci.usage.total_requests
  }
}

# On PlexMCP's hosted API: how many of the key's last calls failed.
output "ci_key_recent_errors" {
  value = length([
    for call in coalesce(data.plexmcp_api_key.ci.recent_activity, []) : call
    if call.status == "error"
  ])
}
