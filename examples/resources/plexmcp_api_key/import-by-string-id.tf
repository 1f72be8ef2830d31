import {
  to = plexmcp_api_key.ci
  id = "key_0123456789abcdef"
}
