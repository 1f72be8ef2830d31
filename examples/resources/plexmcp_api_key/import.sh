# Import an existing key by its id (key_… on PlexMCP's hosted API, a UUID on a
# PlexMCP server; never the secret). PlexMCP never shows a key's secret again,
# so the imported key's `key` attribute is null. Inputs that only the
# configuration knows (expires_in_days, rotation_triggers) are adopted by the
# first apply, without replacing the key.
terraform import plexmcp_api_key.ci key_3Vb8kQ2mZt7LxN4pR9sW
