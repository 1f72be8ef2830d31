# Rotation that proves the new key works before the old one is revoked
# (Terraform 1.14 or later; on_failure needs 1.16). When a replacement is
# created, the action calls PlexMCP with the new key until it reaches every
# MCP it was granted; if it does not within two minutes, the apply stops
# with the old key still active. The next apply finishes the rotation without
# verifying the new key again: find out why it failed first, or replace the
# new key (terraform apply -replace=plexmcp_api_key.ci) to have it made anew.
resource "plexmcp_api_key" "ci" {
  name               = "ci-production"
  all_mcps           = true
  expires_in_days    = 90
  rotate_before_days = 14

  lifecycle {
    create_before_destroy = true

    action_trigger {
      events     = [after_create]
      actions    = [action.plexmcp_verify_api_key.ci]
      on_failure = halt
    }
  }
}

# caller is the key whose action_trigger invokes the action.
action "plexmcp_verify_api_key" "ci" {
  config {
    key     = caller.key
    key_id  = caller.id
    timeout = "2m"
  }
}
