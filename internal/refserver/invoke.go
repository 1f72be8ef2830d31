package refserver

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
)

// invoke runs a tool of an MCP. The checks run in the contract's order:
// (401 already done) the MCP must be the organisation's (404), the key must
// be allowed to reach it (403), and the tool must exist (404).
func (s *Server) invoke(c *call) *apiError {
	obj, e := decodeObject(c.body, "", "mcp_id", "tool", "arguments")
	if e != nil {
		return e
	}
	mcpID, e := requiredString(obj, "mcp_id")
	if e != nil {
		return e
	}
	tool, e := requiredString(obj, "tool")
	if e != nil {
		return e
	}
	args := map[string]any{}
	if raw, ok := obj["arguments"]; ok && !isNull(raw) {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return malformed(err)
		}
		if args, ok = v.(map[string]any); !ok {
			return fieldError("arguments", "arguments must be a JSON object")
		}
	}

	s.mu.Lock()
	m := c.who.org.mcp(mcpID)
	var denied, hasTool bool
	if m != nil {
		denied = !c.visibleLocked(m)
		hasTool = m.hasTool(tool)
	}
	s.mu.Unlock()
	switch {
	case m == nil:
		return notFound("MCP")
	case denied:
		return errorf(http.StatusForbidden, codeForbidden, msgNoMCPAccess)
	case !hasTool:
		return errorf(http.StatusNotFound, codeNotFound, "MCP %s has no tool %q", mcpID, tool)
	}
	result, e := runTool(tool, args)
	if e != nil {
		return e
	}
	writeRaw(c.w, http.StatusOK, successBody(invokeJSON{MCPID: mcpID, Tool: tool, Result: result}))
	return nil
}

func requiredString(obj jsonObject, field string) (string, *apiError) {
	raw, ok := obj[field]
	if !ok || isNull(raw) {
		return "", fieldError(field, "%s is required", field)
	}
	v, e := stringField(raw, field)
	if e == nil && v == "" {
		e = fieldError(field, "%s is required", field)
	}
	return v, e
}

// runTool implements the seeded MCPs' tools. They are deterministic so that
// tests and golden files can pin their answers.
func runTool(tool string, args map[string]any) (any, *apiError) {
	switch tool {
	case "get_weather":
		city, ok := args["city"].(string)
		if !ok || city == "" {
			return nil, fieldError("arguments.city", "arguments.city must be a non-empty string")
		}
		return map[string]any{"city": city, "conditions": "sunny", "temperature_c": 21}, nil
	case "add":
		a, e := number(args, "a")
		if e != nil {
			return nil, e
		}
		b, e := number(args, "b")
		if e != nil {
			return nil, e
		}
		sum := a + b
		if math.IsInf(sum, 0) {
			return nil, fieldError("arguments", "the sum is out of range")
		}
		return map[string]any{"sum": sum}, nil
	case "echo":
		return args, nil
	case "ping":
		return map[string]any{"message": "pong"}, nil
	}
	return nil, errInternal() // a seeded MCP names a tool this server lacks
}

func number(args map[string]any, name string) (float64, *apiError) {
	field := "arguments." + name
	n, ok := args[name].(json.Number)
	if !ok {
		return 0, fieldError(field, "%s must be a number", field)
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) {
		return 0, fieldError(field, "%s is out of range", field)
	}
	return f, nil
}
