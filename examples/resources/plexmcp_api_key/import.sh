# Import an existing key by its id. PlexMCP never shows a key's secret
# again, so the imported key's `key` attribute is null.
terraform import plexmcp_api_key.ci key_0123456789abcdef
