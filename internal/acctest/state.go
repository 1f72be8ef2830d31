package acctest

import (
	"context"
	"fmt"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest/syncbuf"
)

// StateCheckFunc adapts a function to statecheck.StateCheck, for checks
// that read the server, a file or a log rather than only state.
type StateCheckFunc func(ctx context.Context, state *tfjson.State) error

// CheckState implements statecheck.StateCheck.
func (f StateCheckFunc) CheckState(ctx context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = f(ctx, req.State)
}

// Resources returns every resource and data source in state, in all
// modules.
func Resources(state *tfjson.State) []*tfjson.StateResource {
	if state == nil || state.Values == nil || state.Values.RootModule == nil {
		return nil
	}
	var out []*tfjson.StateResource
	var walk func(*tfjson.StateModule)
	walk = func(m *tfjson.StateModule) {
		out = append(out, m.Resources...)
		for _, c := range m.ChildModules {
			walk(c)
		}
	}
	walk(state.Values.RootModule)
	return out
}

// Attr returns an attribute of the object at addr in state.
func Attr(state *tfjson.State, addr, attr string) (any, error) {
	if state == nil || state.Values == nil {
		return nil, errNoState
	}
	for _, r := range Resources(state) {
		if r.Address == addr {
			v, ok := r.AttributeValues[attr]
			if !ok {
				return nil, fmt.Errorf("%s has no attribute %s", addr, attr)
			}
			return v, nil
		}
	}
	return nil, fmt.Errorf("%s is not in state", addr)
}

// StringAttr returns a string attribute of the object at addr in state.
func StringAttr(state *tfjson.State, addr, attr string) (string, error) {
	v, err := Attr(state, addr, attr)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s.%s is not a known string (%T)", addr, attr, v)
	}
	return s, nil
}

// ManagedKeyIDs are the ids of every plexmcp_api_key resource in state.
func ManagedKeyIDs(state *tfjson.State) []string {
	var ids []string
	for _, r := range Resources(state) {
		if r.Type == "plexmcp_api_key" && r.Mode == tfjson.ManagedResourceMode {
			id, _ := r.AttributeValues["id"].(string)
			ids = append(ids, id)
		}
	}
	return ids
}

// CaptureString stores a string attribute from state in *dst, so a later
// step can compare it or use it against the server.
func CaptureString(addr, attr string, dst *string) statecheck.StateCheck {
	return StateCheckFunc(func(_ context.Context, state *tfjson.State) error {
		v, err := StringAttr(state, addr, attr)
		*dst = v
		return err
	})
}

// SyncBuffer is the tests' one concurrent buffer (see package syncbuf).
type SyncBuffer = syncbuf.Buffer
