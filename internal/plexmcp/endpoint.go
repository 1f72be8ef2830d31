package plexmcp

import (
	"net/url"
	"strings"
)

// DefaultBaseURL is PlexMCP's hosted API.
const DefaultBaseURL = "https://api.plexmcp.com/v1"

// The version paths that end each API's base URL.
const (
	hostedVersionPath = "/v1"
	serverVersionPath = "/api/v1"
)

// Endpoint is where a client sends its requests and in which API.
type Endpoint struct {
	API     API
	BaseURL string // the management API's root, without a trailing slash
	// Detect is set when neither the base URL nor the API was configured:
	// API is then only the tentative APIHosted, and the client asks the
	// server which API it is at first use (see Client.API).
	Detect bool
}

// ResolveEndpoint chooses the base URL and API from the configuration,
// offline:
//
//   - baseURL "" means DefaultBaseURL; with api "" as well, the API is
//     detected at first use (Detect, tentatively hosted). A PlexMCP server
//     has no default URL, so api "server" needs a base URL.
//   - api "": a path ending in /api/v1 means a PlexMCP server, one ending
//     in /v1 the hosted API; any other path is ambiguous.
//   - api "hosted": /v1 is kept, /api/v1 is a conflict, and a URL without
//     a version path gets /v1 appended (as the hosted API's contract says).
//   - api "server": /api/v1 is kept, another path ending in /v1 is a
//     conflict, and a URL without a version path gets /api/v1 appended.
//
// Every error is a *ConfigError naming "base_url" or "api". No message
// repeats the URL: its user info or query may hold a key.
func ResolveEndpoint(baseURL string, api API) (Endpoint, error) {
	switch api {
	case "", APIHosted, APIServer:
	default:
		return Endpoint{}, &ConfigError{Setting: "api", Problem: `must be "hosted" or "server" (or unset, to follow from base_url)`}
	}
	raw := strings.TrimSpace(baseURL)
	if raw == "" {
		switch api {
		case APIServer:
			return Endpoint{}, &ConfigError{Setting: "base_url", Problem: `must be set to the PlexMCP server's URL (for example https://plexmcp.example.com/api/v1) when api is "server"; the default is PlexMCP's hosted API`}
		case APIHosted:
			return Endpoint{API: APIHosted, BaseURL: DefaultBaseURL}, nil
		default:
			return Endpoint{API: APIHosted, BaseURL: DefaultBaseURL, Detect: true}, nil
		}
	}
	u, err := checkBaseURL(raw)
	if err != nil {
		return Endpoint{}, err
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	origin := u.Scheme + "://" + u.Host
	onServerPath := path == serverVersionPath || strings.HasSuffix(path, serverVersionPath)
	onHostedPath := !onServerPath && (path == hostedVersionPath || strings.HasSuffix(path, hostedVersionPath))
	switch api {
	case "":
		switch {
		case onServerPath:
			return Endpoint{API: APIServer, BaseURL: origin + path}, nil
		case onHostedPath:
			return Endpoint{API: APIHosted, BaseURL: origin + path}, nil
		}
		return Endpoint{}, &ConfigError{Setting: "api", Problem: `must be set to "hosted" or "server": base_url ends neither in /v1 (PlexMCP's hosted API) nor in /api/v1 (a self-hosted PlexMCP server), so it does not say which API is there`}
	case APIHosted:
		switch {
		case onServerPath:
			return Endpoint{}, &ConfigError{Setting: "api", Problem: `is "hosted", but base_url ends in /api/v1, the path of a self-hosted PlexMCP server's API; set api to "server", or give the hosted API's URL (ending in /v1)`}
		case onHostedPath:
			return Endpoint{API: APIHosted, BaseURL: origin + path}, nil
		}
		return Endpoint{API: APIHosted, BaseURL: origin + path + hostedVersionPath}, nil
	default:
		switch {
		case onServerPath:
			return Endpoint{API: APIServer, BaseURL: origin + path}, nil
		case onHostedPath:
			return Endpoint{}, &ConfigError{Setting: "api", Problem: `is "server", but base_url ends in /v1, the path of PlexMCP's hosted API; a PlexMCP server's API is at /api/v1 (give its URL without a path, or ending in /api/v1), or set api to "hosted"`}
		}
		return Endpoint{API: APIServer, BaseURL: origin + path + serverVersionPath}, nil
	}
}

// checkBaseURL parses a base URL and refuses what cannot be one. Its
// messages never repeat the URL.
func checkBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	problem := ""
	switch {
	case err != nil:
		problem = "is not a valid URL"
	case u.Scheme != "http" && u.Scheme != "https":
		problem = "must start with https:// (or http:// for a server on a trusted network)"
	case u.Opaque != "" || u.Host == "":
		problem = "has no host name"
	case u.User != nil:
		problem = "must not carry a user name or password; set api_key instead"
	case u.RawQuery != "" || u.ForceQuery:
		problem = "must not have a query string (?…)"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		problem = "must not have a fragment (#…)"
	}
	if problem != "" {
		return nil, &ConfigError{Setting: "base_url", Problem: problem}
	}
	return u, nil
}

// rootOf is the base URL without its version path: where an API serves
// POST /mcp and GET /health. For the documented URLs that is the origin; a
// server published under a path prefix keeps the prefix.
func rootOf(ep Endpoint) string {
	suffix := hostedVersionPath
	if ep.API == APIServer {
		suffix = serverVersionPath
	}
	return strings.TrimSuffix(ep.BaseURL, suffix)
}
