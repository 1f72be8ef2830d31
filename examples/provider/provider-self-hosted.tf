# A self-hosted PlexMCP server: its API is under /api/v1, which is how the
# provider knows which API it talks to. (Give the server's address without a
# path and set api = "server" to say it outright.)
provider "plexmcp" {
  alias    = "self_hosted"
  base_url = "https://plexmcp.example.com/api/v1"
}
