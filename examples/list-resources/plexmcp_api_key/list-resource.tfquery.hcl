# Find every active key whose name starts with "ci-", including keys made by
# hand in the PlexMCP dashboard:
#
#   terraform query -generate-config-out=ci_keys.tf
#
# writes a plexmcp_api_key resource and an import block for each; the next
# terraform apply adopts them, with no other change.
list "plexmcp_api_key" "ci" {
  provider         = plexmcp
  include_resource = true

  config {
    name_regex = "^ci-"
    status     = "active"
  }
}
