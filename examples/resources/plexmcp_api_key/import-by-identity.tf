# Terraform 1.12 and later: import by the key's identity, its id (here a
# PlexMCP server's UUID). `terraform query` with the plexmcp_api_key list
# resource writes these blocks for every key it finds on the hosted API.
import {
  to = plexmcp_api_key.dev
  identity = {
    id = "0b6c8a5e-3f0e-4c55-9a43-8d1f7c2b9e10"
  }
}
