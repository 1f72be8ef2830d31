import {
  to = plexmcp_api_key.ci
  id = "key_3Vb8kQ2mZt7LxN4pR9sW"
}
