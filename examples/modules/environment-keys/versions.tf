terraform {
  required_version = ">= 1.5"

  required_providers {
    plexmcp = {
      source = "plexmcp/plexmcp"
    }
  }
}
