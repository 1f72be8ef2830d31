terraform {
  required_providers {
    plexmcp = {
      source = "plexmcp/plexmcp"
    }
  }
}

# The key and URL usually come from the environment:
#   export PLEXMCP_API_KEY=pmcp_…
#   export PLEXMCP_BASE_URL=https://api.plexmcp.com/v1
provider "plexmcp" {
  max_retries     = 8
  request_timeout = "30s"
}
