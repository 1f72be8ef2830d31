# Look an MCP up by its exact name…
data "plexmcp_mcp" "weather" {
  name = "Weather API"
}

# …or by id.
data "plexmcp_mcp" "calculator" {
  id = "mcp_calculator"
}

output "weather_tools" {
  value = [for tool in data.plexmcp_mcp.weather.tools : tool.name]
}
