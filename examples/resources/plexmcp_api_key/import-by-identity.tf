# Terraform 1.12 and later: import by the key's identity, its id.
# `terraform query` (the plexmcp_api_key list resource) writes these blocks
# for every key it finds.
import {
  to = plexmcp_api_key.ci
  identity = {
    id = "key_3Vb8kQ2mZt7LxN4pR9sW"
  }
}
