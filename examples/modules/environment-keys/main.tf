data "plexmcp_mcp" "named" {
  for_each = toset(var.mcp_names)
  name     = each.value
}

locals {
  mcp_ids  = distinct(concat(var.mcp_ids, [for m in data.plexmcp_mcp.named : m.id]))
  all_mcps = length(local.mcp_ids) == 0
}

resource "plexmcp_api_key" "this" {
  name               = "${var.application}-${var.environment}"
  description        = var.description
  all_mcps           = local.all_mcps ? true : null
  mcp_ids            = local.all_mcps ? null : local.mcp_ids
  expires_in_days    = var.expires_in_days
  rotate_before_days = var.rotate_before_days

  # Rotation never leaves the environment without a working key.
  lifecycle {
    create_before_destroy = true
  }
}
