output "key_id" {
  description = "Id of the environment's key."
  value       = plexmcp_api_key.this.id
}

output "key_prefix" {
  description = "The start of the key as PlexMCP shows it: safe to log."
  value       = plexmcp_api_key.this.key_prefix
}

output "key" {
  description = "The secret key. Hand it to the application's secret store."
  value       = plexmcp_api_key.this.key
  sensitive   = true
}

output "mcp_ids" {
  description = "Ids of the MCPs the key may invoke; empty when it may invoke all of them."
  value       = local.mcp_ids
}

output "expires_at" {
  description = "When the key expires, or null."
  value       = plexmcp_api_key.this.expires_at
}
