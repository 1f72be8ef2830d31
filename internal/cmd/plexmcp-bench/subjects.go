package main

import (
	"fmt"
	"net/url"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// role says what a subject of the main comparison stands for.
type role int

const (
	// roleData is Terraform's built-in terraform_data: no provider process
	// at all.
	roleData role = iota
	// roleProtocol is plexmcp_api_key's schema answered straight through
	// terraform-plugin-go with the least any provider must do.
	roleProtocol
	// roleFramework is the same schema through terraform-plugin-framework
	// with CRUD methods that only copy values: the floor the targets are
	// relative to.
	roleFramework
	// roleProvider is the provider under test, against one API.
	roleProvider
)

// subject is one column of the main comparison: a configuration of N
// resources and what it runs against.
type subject struct {
	name string
	role role
	api  string // the provider's API; "" for the floors
	dir  string
	env  []string
	srv  *refserver.Running // the provider's server; nil for the floors
}

// subjects prepares every column: the three floors, then the provider
// against each API, each with its own reference server.
func (b *bench) subjects() ([]*subject, error) {
	n := b.opts.keys
	var out []*subject
	dataDir, err := b.dir("terraform_data", dataConfig(n))
	if err != nil {
		return nil, err
	}
	out = append(out, &subject{name: "terraform_data", role: roleData, dir: dataDir, env: b.env(nil)})

	// Both floors serve the same configuration; PLEXMCPFLOOR_SERVER picks
	// the stack.
	for _, f := range []struct {
		name, dir, stack string
		role             role
	}{
		{"schema, protocol", "floor-protocol", "protocol", roleProtocol},
		{"schema, framework", "floor-framework", "framework", roleFramework},
	} {
		dir, err := b.dir(f.dir, keysConfig("plexmcpfloor", n))
		if err != nil {
			return nil, err
		}
		out = append(out, &subject{name: f.name, role: f.role, dir: dir, env: b.env(nil, "PLEXMCPFLOOR_SERVER="+f.stack)})
	}

	for _, api := range b.opts.apis {
		srv, err := b.startServer(refserver.Config{API: api})
		if err != nil {
			return nil, err
		}
		dir, err := b.dir("plexmcp-"+api, keysConfig("plexmcp", n))
		if err != nil {
			return nil, err
		}
		out = append(out, &subject{name: "plexmcp_api_key, " + api, role: roleProvider, api: api, dir: dir, env: b.env(srv), srv: srv})
	}
	return out, nil
}

// routes names the reference server's key routes as RequestCounts does:
// "GET /v1/api-keys/{id}" on the hosted API, "GET /api/v1/api-keys/{id}"
// on a PlexMCP server.
func routes(srv *refserver.Running) (getKey, listKeys string, err error) {
	u, err := url.Parse(srv.BaseURL)
	if err != nil {
		return "", "", fmt.Errorf("the reference server's base URL: %w", err)
	}
	return "GET " + u.Path + "/api-keys/{id}", "GET " + u.Path + "/api-keys", nil
}

// activeKeys counts the keys the benchmark left active: every key but the
// bootstrap keys, which the server made itself.
func activeKeys(srv *refserver.Running) int {
	n := 0
	for _, k := range srv.APIKeys() {
		if !k.Bootstrap && k.Status == "active" {
			n++
		}
	}
	return n
}
