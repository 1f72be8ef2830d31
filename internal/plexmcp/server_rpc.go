package plexmcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
)

// A PlexMCP server's MCP proxy speaks JSON-RPC 2.0 at POST /mcp: no
// session, no initialize needed, every answer after dispatch with HTTP 200
// (errors included), and a bad key or a rate limit as HTTP 401 / 429 with
// a JSON-RPC error body.

type rpcRequest struct {
	JSONRPC string `json:"jsonrpc"`
	ID      int64  `json:"id"`
	Method  string `json:"method"`
	Params  any    `json:"params,omitempty"`
}

type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  json.RawMessage `json:"result"`
	Error   *rpcErrorObject `json:"error"`
}

type rpcErrorObject struct {
	Code    *int            `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// rpcIDs numbers requests; the proxy echoes the id but the client, which
// sends one request per HTTP exchange, does not depend on it.
var rpcIDs atomic.Int64

// decodeRPCError reads a JSON-RPC error answer; ok is false for any other
// body, so that the management API's shapes are tried next.
func decodeRPCError(status int, body []byte) (*RPCError, bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, false
	}
	var r rpcResponse
	decoded := json.Unmarshal(body, &r) == nil
	if !decoded || r.JSONRPC != "2.0" || r.Error == nil || r.Error.Code == nil {
		return nil, false
	}
	e := &RPCError{HTTPStatus: status, Code: *r.Error.Code, Message: r.Error.Message}
	if len(r.Error.Data) > 0 {
		var data map[string]any
		if json.Unmarshal(r.Error.Data, &data) == nil {
			e.Data = data
		}
	}
	return e, true
}

// rpc sends one JSON-RPC call to the proxy with the client's key and
// decodes its result into out.
func (s *serverAPI) rpc(ctx context.Context, method string, params any, resend resendPolicy, out any) error {
	body, err := json.Marshal(rpcRequest{JSONRPC: "2.0", ID: rpcIDs.Add(1), Method: method, Params: params})
	if err != nil {
		return fmt.Errorf("plexmcp: encoding %s: %w", method, err)
	}
	req := s.c.newRequest(serverDialect{}, APIServer, surfaceMCP, http.MethodPost, rootOf(s.ep)+"/mcp", body)
	req.resend = resend
	rep, err := s.c.do(ctx, req)
	if err != nil {
		return err
	}
	if e, ok := decodeRPCError(rep.status, rep.body); ok {
		return s.c.finishError(e, rep.attempts)
	}
	var r rpcResponse
	if err := json.Unmarshal(rep.body, &r); err != nil || r.JSONRPC != "2.0" {
		return fmt.Errorf("plexmcp: POST /mcp %s: %w: not a JSON-RPC 2.0 answer", method, errMalformed)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(r.Result, out); err != nil {
		return fmt.Errorf("plexmcp: POST /mcp %s: %w: result: %v", method, errMalformed, err)
	}
	return nil
}

// rpcToolsList is the result of tools/list. errors names the MCPs the
// server could not ask in time: they are reachable, their tools unknown.
type rpcToolsList struct {
	Tools []struct {
		Name string `json:"name"`
	} `json:"tools"`
	Errors []struct {
		MCPName string `json:"mcp_name"`
	} `json:"errors"`
}

type rpcToolCall struct {
	Name      string         `json:"name"`
	Arguments map[string]any `json:"arguments"`
}
