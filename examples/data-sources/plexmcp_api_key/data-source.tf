variable "ci_key_id" {
  description = "The id (key_…) of the CI key, as shown in the PlexMCP dashboard."
  type        = string
}

# Usage and status of one key. The secret is never available here.
data "plexmcp_api_key" "ci" {
  id = var.ci_key_id
}

output "ci_key_usage" {
  value = {
    key_prefix    = data.plexmcp_api_key.ci.key_prefix
    status        = data.plexmcp_api_key.ci.status
    last_used_at  = data.plexmcp_api_key.ci.last_used_at
    request_count = data.plexmcp_api_key.ci.request_count
  }
}
