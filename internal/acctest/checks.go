package acctest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// Reach is what invoking an MCP with a key proved.
type Reach int

// The outcomes of an invocation.
const (
	// Reached: the call succeeded.
	Reached Reach = iota
	// Denied: the key works but was not granted the MCP.
	Denied
	// Refused: the key does not work at all (unknown, revoked, expired).
	Refused
)

func (r Reach) String() string {
	switch r {
	case Reached:
		return "reached"
	case Denied:
		return "denied"
	default:
		return "refused"
	}
}

// Invoke calls the seeded tool of the MCP named mcpName with key, through
// srv's API (the hosted API's POST /mcp, or a PlexMCP server's JSON-RPC
// proxy), and says what happened.
func Invoke(ctx context.Context, srv *refserver.Running, key, mcpName string) (Reach, error) {
	call, ok := tools[mcpName]
	if !ok {
		return 0, fmt.Errorf("no seeded tool for %q", mcpName)
	}
	call.MCPID = MCPID(srv, mcpName)
	c, err := plexmcp.New(clientConfig(srv, key))
	if err != nil {
		return 0, err
	}
	_, err = c.Invoke(ctx, call)
	switch {
	case err == nil:
		return Reached, nil
	case plexmcp.IsAccessDenied(err):
		return Denied, nil
	case plexmcp.IsUnauthorized(err):
		return Refused, nil
	}
	return 0, err
}

// InvokeOnce calls the seeded tool of mcpName with key once, never
// retried, and returns the client's error as it is (nil on success): for
// tests that need the server's own refusal, such as a rate limit, which
// Invoke would retry or reduce to a Reach.
func InvokeOnce(ctx context.Context, srv *refserver.Running, key, mcpName string) error {
	call, ok := tools[mcpName]
	if !ok {
		return fmt.Errorf("no seeded tool for %q", mcpName)
	}
	call.MCPID = MCPID(srv, mcpName)
	cfg := clientConfig(srv, key)
	cfg.MaxRetries = new(0)
	c, err := plexmcp.New(cfg)
	if err != nil {
		return err
	}
	_, err = c.Invoke(ctx, call)
	return err
}

// ExpectKeyReach invokes mcpName with key and fails unless the server
// answers want. Errors name the key by its public prefix only.
func ExpectKeyReach(ctx context.Context, srv *refserver.Running, key, mcpName string, want Reach) error {
	got, err := Invoke(ctx, srv, key, mcpName)
	if err != nil {
		return fmt.Errorf("invoking %s with key %s: %s", mcpName, shown(key), testsecrets.Hide(err.Error(), key))
	}
	if got != want {
		return fmt.Errorf("invoking %s with key %s: %s, want %s", mcpName, shown(key), got, want)
	}
	return nil
}

// ExpectReach invokes mcpName with the key that addr holds in state, and
// fails unless the server answers want.
func ExpectReach(srv *refserver.Running, addr, mcpName string, want Reach) statecheck.StateCheck {
	return StateCheckFunc(func(ctx context.Context, state *tfjson.State) error {
		key, err := StringAttr(state, addr, "key")
		if err != nil {
			return err
		}
		return ExpectKeyReach(ctx, srv, key, mcpName, want)
	})
}

// ExpectKeyKept proves that addr is still the key whose id and secret
// *id and *key hold (captured by an earlier step): same id in state, and
// the secret still reaches mcpName.
func ExpectKeyKept(srv *refserver.Running, addr string, id, key *string, mcpName string) statecheck.StateCheck {
	return StateCheckFunc(func(ctx context.Context, state *tfjson.State) error {
		got, err := StringAttr(state, addr, "id")
		if err != nil {
			return err
		}
		if got != *id {
			return fmt.Errorf("%s was replaced: id %s, before %s", addr, got, *id)
		}
		return ExpectKeyReach(ctx, srv, *key, mcpName, Reached)
	})
}

// ExpectServerKey finds the key that addr manages among the server's own
// records and hands it to check.
func ExpectServerKey(srv *refserver.Running, addr string, check func(refserver.KeyRecord) error) statecheck.StateCheck {
	return StateCheckFunc(func(_ context.Context, state *tfjson.State) error {
		id, err := StringAttr(state, addr, "id")
		if err != nil {
			return err
		}
		rec, ok := ServerKey(srv, id)
		if !ok {
			return fmt.Errorf("the server has no key %s", id)
		}
		return check(rec)
	})
}

// ServerKey returns the server's record of key id.
func ServerKey(srv *refserver.Running, id string) (refserver.KeyRecord, bool) {
	for _, k := range srv.APIKeys() {
		if k.ID == id {
			return k, true
		}
	}
	return refserver.KeyRecord{}, false
}

// ActiveKeys are the server's active keys, both organisations, without the
// bootstrap keys the server started with.
func ActiveKeys(srv *refserver.Running) []refserver.KeyRecord {
	var out []refserver.KeyRecord
	for _, k := range srv.APIKeys() {
		if k.Status == plexmcp.StatusActive && !k.Bootstrap {
			out = append(out, k)
		}
	}
	return out
}

// ExpectNoActiveKeys is a CheckDestroy: after destroy the server holds no
// active key but the bootstrap keys. On a PlexMCP server a destroyed key
// is gone; on the hosted API it is revoked.
func ExpectNoActiveKeys(srv *refserver.Running) error {
	if left := ActiveKeys(srv); len(left) > 0 {
		return fmt.Errorf("%d key(s) still active after destroy: %s", len(left), DescribeKeys(left))
	}
	return nil
}

// DescribeKeys names keys by id, name and public prefix, never by secret.
func DescribeKeys(keys []refserver.KeyRecord) string {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s (%q, %s, %s)", k.ID, k.Name, k.KeyPrefix, k.Status))
	}
	sort.Strings(parts)
	return "[" + strings.Join(parts, ", ") + "]"
}

// ExpectAPIKeyGone proves, through the API with the bootstrap key, that a
// key no longer works: revoked (hosted) or deleted (server).
func ExpectAPIKeyGone(ctx context.Context, srv *refserver.Running, id string) error {
	c, err := plexmcp.New(clientConfig(srv, srv.AdminKey()))
	if err != nil {
		return err
	}
	k, err := c.GetAPIKey(ctx, id)
	switch {
	case plexmcp.IsNotFound(err):
		return nil
	case err != nil:
		return err
	case k.Status == plexmcp.StatusRevoked:
		return nil
	}
	return fmt.Errorf("key %s is %s, want revoked or deleted", id, k.Status)
}

// shown is a key as a failure message may show it: its public start.
func shown(key string) string {
	if len(key) > 12 {
		return key[:12] + "…"
	}
	return "(short key)"
}

// digestOf is the hex SHA-256 the reference server keeps of a key.
func digestOf(key string) string {
	d := sha256.Sum256([]byte(key))
	return hex.EncodeToString(d[:])
}

// errNoState is returned by checks that need state but got none.
var errNoState = errors.New("state is empty")
