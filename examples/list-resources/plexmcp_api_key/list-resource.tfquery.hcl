# Find every active key whose name starts with "ci-", including keys made by
# hand in the PlexMCP dashboard:
#
#   terraform query -generate-config-out=ci_keys.tf
#
# writes a plexmcp_api_key resource and an import block for each; the next
# terraform apply adopts them, with no other change. terraform query returns
# at most limit results of a list block, 100 unless it is set.
list "plexmcp_api_key" "ci" {
  provider         = plexmcp
  include_resource = true
  limit            = 1000

  config {
    name_regex = "^ci-"
    status     = "active"
  }
}
