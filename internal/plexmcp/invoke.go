package plexmcp

import (
	"context"
	"encoding/json"
	"fmt"
)

// Invoke calls one tool of an MCP with the client's key. It is not resent
// once the server may have received it: a tool call can have side effects
// and carries no idempotency key.
func (c *Client) Invoke(ctx context.Context, r InvokeRequest) (*InvokeResult, error) {
	body, err := json.Marshal(invokeToWire(r))
	if err != nil {
		return nil, fmt.Errorf("plexmcp: encoding the invocation: %w", err)
	}
	var w wireInvokeResult
	if _, err := c.do(ctx, request{method: "POST", path: "/mcp/invoke", body: body, unsafe: true}, &w); err != nil {
		return nil, err
	}
	res := w.toInvokeResult()
	return &res, nil
}
