package refserver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A PlexMCP server's MCP proxy: one JSON-RPC 2.0 endpoint, POST /mcp, that
// aggregates the MCPs a key may reach. The seeded MCPs' tools run in
// process, as if their endpoint_url answered.

// The proxy's request structs, as serde reads them.
var (
	jsonRPCRequest = sjStruct{name: "JsonRpcRequest", fields: []sjField{
		{name: "jsonrpc", typ: sjTString},
		{name: "id", typ: sjTRPCID, optional: true},
		{name: "method", typ: sjTString},
		{name: "params", typ: sjTOptValue, optional: true},
	}}
	toolCallParams = sjStruct{name: "ToolCallParams", fields: []sjField{
		{name: "name", typ: sjTString},
		{name: "arguments", typ: sjTOptValue, optional: true},
	}}
)

// JSON-RPC error codes the proxy answers with.
const (
	rpcParseError     = -32700
	rpcInvalidRequest = -32600
	rpcMethodNotFound = -32601
	rpcInvalidParams  = -32602
	rpcInternalError  = -32603
	rpcMissingKey     = -32001
	rpcBadKey         = -32002
	rpcRateLimited    = -32029
)

// rpcResponse is a JSON-RPC answer. id, result, error and data are left out
// when absent; an explicit null result (a notification's) is kept.
type rpcResponse struct {
	JSONRPC string    `json:"jsonrpc"`
	ID      any       `json:"id,omitempty"`
	Result  *rpcValue `json:"result,omitempty"`
	Error   *rpcError `json:"error,omitempty"`
}

// rpcValue holds a result, so that a null result is written as null.
type rpcValue struct{ v any }

func (r rpcValue) MarshalJSON() ([]byte, error) { return marshalJSON(r.v) }

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func rpcFailure(id any, code int, message string) rpcResponse {
	return rpcResponse{JSONRPC: "2.0", ID: id, Error: &rpcError{Code: code, Message: message}}
}

func rpcSuccess(id, result any) rpcResponse {
	return rpcResponse{JSONRPC: "2.0", ID: id, Result: &rpcValue{result}}
}

// writeRPC answers with a JSON-RPC body and an HTTP status.
func writeRPC(w http.ResponseWriter, status int, resp rpcResponse) {
	writeJSONBody(w, status, encodeJSON(resp))
}

// proxy answers POST /mcp: the body within 1 MiB (413 text, before any
// other check), the key (X-API-Key, else Authorization: Bearer; 401
// -32001 or -32002), the key's per-minute limit (429 -32029), the body as
// UTF-8 and one JSON-RPC request (400 -32700, then -32600 for another
// version), then the method, whose answer, error or not, is HTTP 200. The
// real server first routes by Host; this one accepts any Host.
func (h *serverAPI) proxy(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeEmpty(w, http.StatusMethodNotAllowed)
		return
	}
	body, tooLarge := readProxyBody(w, r)
	if tooLarge {
		writeText(w, http.StatusRequestEntityTooLarge, "Failed to buffer the request body: length limit exceeded")
		return
	}
	s := h.s
	now := s.Now()
	key, ok := proxyKey(r)
	if !ok {
		writeRPC(w, http.StatusUnauthorized, rpcFailure(nil, rpcMissingKey, "Missing X-API-Key header"))
		return
	}
	k, org, rpm, msg := h.proxyAuth(key, now)
	if msg != "" {
		writeRPC(w, http.StatusUnauthorized, rpcFailure(nil, rpcBadKey, msg))
		return
	}
	if d := h.windows.take(k.id, rpm, now); !d.allowed {
		resp := rpcFailure(nil, rpcRateLimited, "Rate limit exceeded")
		resp.Error.Data = map[string]any{ // a JSON object: keys come out sorted
			"limit_rpm": rpm, "remaining_minute": d.remaining, "reset_at": d.resetAt, "retry_after_seconds": d.retryAfter,
		}
		writeRPC(w, http.StatusTooManyRequests, resp)
		return
	}
	if !utf8.Valid(body) {
		writeRPC(w, http.StatusBadRequest, rpcFailure(nil, rpcParseError, "Invalid UTF-8: "+rustUTF8Error(body)))
		return
	}
	req, serr := sjDecode(body, jsonRPCRequest, false, true)
	if serr != nil {
		writeRPC(w, http.StatusBadRequest, rpcFailure(nil, rpcParseError, "Invalid JSON: "+serr.text(body)))
		return
	}
	id := req["id"]
	if v, _ := req.str("jsonrpc"); v != "2.0" {
		writeRPC(w, http.StatusBadRequest, rpcFailure(id, rpcInvalidRequest, "Invalid JSON-RPC version, expected 2.0"))
		return
	}
	method, _ := req.str("method")
	params, _ := req["params"].(*sjValue)
	resp := h.dispatch(org, k, id, method, params)

	// A dispatched request is use of the key, whatever its answer.
	s.mu.Lock()
	s.recordUseLocked(k, now)
	s.mu.Unlock()

	if strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		writeSSE(w, resp)
		return
	}
	writeRPC(w, http.StatusOK, resp)
}

// maxProxyBody is the proxy's body limit (1 MiB), a PlexMCP server's
// default.
const maxProxyBody = 1 << 20

// readProxyBody reads up to 1 MiB; more is too large.
func readProxyBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.ContentLength > maxProxyBody {
		return nil, true
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxProxyBody))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return nil, true
	}
	return body, false
}

// proxyKey is the key of X-API-Key, else of "Authorization: Bearer ". The
// management API's "ApiKey " scheme is not read here.
func proxyKey(r *http.Request) (string, bool) {
	if key, ok := visibleHeader(r, "X-API-Key"); ok {
		return key, true
	}
	if header, ok := visibleHeader(r, "Authorization"); ok {
		return strings.CutPrefix(header, "Bearer ")
	}
	return "", false
}

// proxyAuth checks a key as the proxy does, in its order and words, and
// reads its rate_limit_rpm, which the real proxy reads on every request.
// Keys and organisations are always active here: the real proxy reads
// status columns its migrations never create, which would fail every key;
// this is the intended behaviour.
func (h *serverAPI) proxyAuth(key string, now time.Time) (k *apiKey, o *org, rpm int, msg string) {
	s := h.s
	if !strings.HasPrefix(key, keyScheme) || len(key) != keyLen {
		return nil, nil, 0, "Invalid API key format"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if wellFormedKey(key) {
		k = s.lookupKeyLocked(key)
	}
	switch {
	case k == nil && !(wellFormedKey(key) && signedBy(s.hmacSecret, key)):
		// The real proxy checks the signature first; keys it did not sign
		// (bootstrap keys by flag excepted, known by digest) fail it.
		return nil, nil, 0, "Invalid API key format"
	case k == nil || k.propagating(now, s.keyPropagation):
		return nil, nil, 0, "API key not found"
	case k.expiresAt != nil && k.expiresAt.Before(now):
		return nil, nil, 0, "API key has expired"
	case k.accessMode == accessNone:
		return nil, nil, 0, "This API key has MCP access disabled"
	}
	return k, s.orgByID(k.orgID), k.rateLimitRPM, ""
}

// dispatch runs a JSON-RPC method.
func (h *serverAPI) dispatch(o *org, k *apiKey, id any, method string, params *sjValue) rpcResponse {
	switch method {
	case "initialize":
		return rpcSuccess(id, initializeResult)
	case "notifications/initialized":
		return rpcSuccess(nil, nil) // no id, a null result
	case "tools/list":
		tools := []serverTool{}
		for _, m := range h.reachable(o, k) {
			tools = append(tools, serverTools(m.def.tools, m.def.name)...)
		}
		return rpcSuccess(id, map[string]any{"tools": tools})
	case "tools/call":
		return h.toolsCall(o, k, id, params)
	}
	return rpcFailure(id, rpcMethodNotFound, "Method not found: "+method)
}

// initializeResult is the proxy's answer to initialize, whatever the
// parameters. Its capability flags are snake_case, as the real server's.
var initializeResult = orderedJSON{
	{"protocolVersion", mcpProtocolVersion},
	{"capabilities", orderedJSON{
		{"tools", orderedJSON{{"list_changed", false}}},
		{"resources", orderedJSON{{"subscribe", false}, {"list_changed", false}}},
		{"prompts", orderedJSON{{"list_changed", false}}},
		{"logging", orderedJSON{}},
	}},
	{"serverInfo", orderedJSON{{"name", "PlexMCP"}, {"version", serverVersion}}},
	{"instructions", "PlexMCP aggregates multiple MCP servers. Tools are prefixed with their source MCP name (e.g., github:create_issue)."},
}

// orderedJSON is an object written in the order given, for the real
// server's structs whose field order is not alphabetical.
type orderedJSON []struct {
	k string
	v any
}

func (o orderedJSON) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := marshalJSON(f.k)
		v, err := marshalJSON(f.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// reachable lists the MCPs a key may reach through the proxy, by name:
// active ones with an endpoint_url in their config; all of them for an
// "all" key (allowed_mcp_ids ignored), those in allowed_mcp_ids for a
// "selected" one.
func (h *serverAPI) reachable(o *org, k *apiKey) []*mcp {
	h.s.mu.Lock()
	mode, allowed := k.accessMode, slices.Clone(k.allowedMCPIDs)
	h.s.mu.Unlock()
	var out []*mcp
	for _, m := range o.mcps {
		if _, ok := m.def.serverConfig["endpoint_url"].(string); !ok {
			continue
		}
		if mode == accessAll || mode == accessSelected && slices.Contains(allowed, m.id) {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b *mcp) int { return strings.Compare(a.def.name, b.def.name) })
	return out
}

// toolsCall runs "<MCP name>:<tool>" on an MCP the key may reach. An
// unknown tool or wrong arguments are the MCP's own errors, which the proxy
// wraps as -32603.
func (h *serverAPI) toolsCall(o *org, k *apiKey, id any, params *sjValue) rpcResponse {
	if params == nil {
		return rpcFailure(id, rpcInvalidParams, "Missing params")
	}
	p, serr := sjCheckStruct(params, toolCallParams, false)
	if serr != nil {
		serr.path, serr.offset = "", -1 // from a Value: no path, no position
		return rpcFailure(id, rpcInvalidParams, "Invalid params: "+serr.text(nil))
	}
	name, _ := p.str("name")
	mcpName, toolName, ok := strings.Cut(name, ":")
	if !ok {
		return rpcFailure(id, rpcInvalidParams, "Invalid tool name format. Expected 'mcp_name:tool_name', got: "+name)
	}
	var target *mcp
	for _, m := range h.reachable(o, k) {
		if m.def.name == mcpName {
			target = m
			break
		}
	}
	if target == nil {
		return rpcFailure(id, rpcInvalidParams, "MCP not found or access denied: "+mcpName)
	}
	failed := func(upstream string) rpcResponse {
		return rpcFailure(id, rpcInternalError, fmt.Sprintf("Tool call failed on %s: MCP server returned error: %s", mcpName, upstream))
	}
	t := target.tool(toolName)
	if t == nil {
		return failed("Unknown tool: " + toolName)
	}
	args := map[string]any{}
	if v, _ := p["arguments"].(*sjValue); v != nil {
		obj, isObject := sjToGo(v).(map[string]any)
		if !isObject {
			return failed(msgWrongArguments)
		}
		args = obj
	}
	result, err := t.run(args)
	if err != nil {
		return failed(msgWrongArguments)
	}
	text, err := marshalJSON(result)
	if err != nil {
		return failed(err.Error())
	}
	return rpcSuccess(id, orderedJSON{
		{"content", []orderedJSON{{{"type", "text"}, {"text", string(text)}}}},
		{"isError", false},
	})
}

// writeSSE answers as the real proxy does to a client that accepts
// text/event-stream: one "result" event wrapping the response.
func writeSSE(w http.ResponseWriter, resp rpcResponse) {
	data, _ := marshalJSON(orderedJSON{{"type", "final_result"}, {"response", resp}})
	body := "event: result\ndata: " + string(data) + "\n\n"
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, body)
}

// rustUTF8Error words the first invalid UTF-8 in b as Rust's Utf8Error:
// the bytes of the invalid sequence and where it starts, or an incomplete
// sequence at the end.
func rustUTF8Error(b []byte) string {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		width, lo, hi := 0, byte(0x80), byte(0xBF)
		switch {
		case c >= 0xC2 && c <= 0xDF:
			width = 2
		case c == 0xE0:
			width, lo = 3, 0xA0
		case c >= 0xE1 && c <= 0xEC || c == 0xEE || c == 0xEF:
			width = 3
		case c == 0xED:
			width, hi = 3, 0x9F
		case c == 0xF0:
			width, lo = 4, 0x90
		case c >= 0xF1 && c <= 0xF3:
			width = 4
		case c == 0xF4:
			width, hi = 4, 0x8F
		default:
			return fmt.Sprintf("invalid utf-8 sequence of 1 bytes from index %d", i)
		}
		for j := 1; j < width; j++ {
			if i+j >= len(b) {
				return fmt.Sprintf("incomplete utf-8 byte sequence from index %d", i)
			}
			low, high := byte(0x80), byte(0xBF)
			if j == 1 {
				low, high = lo, hi
			}
			if b[i+j] < low || b[i+j] > high {
				return fmt.Sprintf("invalid utf-8 sequence of %d bytes from index %d", j, i)
			}
		}
		i += width
	}
	return ""
}
