variable "environment" {
  description = "Environment the key is for, such as production, staging or development."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,40}$", var.environment))
    error_message = "environment must be lower-case letters, digits and dashes, starting with a letter (at most 41 characters)."
  }
}

variable "application" {
  description = "Name of the application that uses the key; the key is named <application>-<environment>."
  type        = string
  default     = "app"
}

variable "mcp_names" {
  description = "Exact names of the MCPs the key may invoke. Combined with mcp_ids. Leave both empty to grant every MCP."
  type        = list(string)
  default     = []
}

variable "mcp_ids" {
  description = "Ids of the MCPs the key may invoke. Combined with mcp_names. Leave both empty to grant every MCP."
  type        = list(string)
  default     = []
}

variable "description" {
  description = "Notes on the key's use. Keep it empty on a self-hosted PlexMCP server, which keeps no description."
  type        = string
  default     = ""
}

variable "expires_in_days" {
  description = "Lifetime of the key in days, or null for a key that never expires."
  type        = number
  default     = null
}

variable "rotate_before_days" {
  description = "Rotate the key on any apply this many days before it expires. Needs expires_in_days."
  type        = number
  default     = null
}
