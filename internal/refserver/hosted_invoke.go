package refserver

import (
	"errors"
	"net/http"
	"slices"
	"time"
)

var hostedInvokeFields = []string{"mcp_id", "tool", "arguments", "timeout", "context"}

// invoke runs a tool of an MCP (POST /mcp). After the body's checks, it
// runs the contract's order: the MCP must be the organisation's (404), the
// key's permissions must name it (403), the tool must exist (404), and the
// arguments must fit the tool (400). So a tool name no MCP has is a probe:
// 404 tool_not_found means the key may reach the MCP, 403 that it may not.
// timeout and context are accepted and ignored.
func (h *hostedAPI) invoke(c *hostedCall) *hostedError {
	obj, e := decodeHostedObject(c.body, hostedInvokeFields...)
	if e != nil {
		return e
	}
	t := typeErrors{}
	mcpID, _ := t.str(obj, "mcp_id")
	toolName, _ := t.str(obj, "tool")
	args, argsSet := t.object(obj, "arguments")
	t.integer(obj, "timeout")
	t.object(obj, "context")
	if e := t.err(); e != nil {
		return e
	}
	v := validationError{}
	if mcpID == "" {
		v["mcp_id"] = "Required"
	}
	if toolName == "" {
		v["tool"] = "Required"
	}
	if e := v.err(); e != nil {
		return e
	}
	if !argsSet {
		args = map[string]any{}
	}

	s := h.s
	now := s.Now()
	s.mu.Lock()
	m := c.org.mcp(mcpID)
	var tl *tool
	switch {
	case m == nil:
		e = hostedNotFound("MCP")
	case !c.key.allMCPs && !slices.Contains(c.key.mcpIDs, m.id):
		e = hostedErrorf(http.StatusForbidden, codeMCPNotPermitted, msgNoMCPAccess)
	default:
		if tl = m.tool(toolName); tl == nil {
			e = hostedErrorf(http.StatusNotFound, codeToolNotFound, "Tool '%s' not found", toolName)
		}
	}
	s.mu.Unlock()

	var result any
	var latency time.Duration
	if tl != nil {
		start := time.Now()
		var err error
		result, err = tl.run(args)
		latency = time.Since(start)
		if errors.Is(err, errWrongArguments) {
			e = hostedErrorf(http.StatusBadRequest, codeInvalidArguments, msgWrongArguments)
		} else if err != nil {
			e = errHostedInternal()
		}
	}

	// Only an invocation that ran a tool reached the MCP (the key's recent
	// activity is recorded around the handler, whatever the answer).
	s.mu.Lock()
	if tl != nil {
		st := &m.stats
		st.requests++
		if e != nil {
			st.errors++
		}
		st.latencyMS += latency.Milliseconds()
		at := wholeSeconds(now)
		st.lastActive = &at
		st.daily.add(now)
		s.dirty = true
	}
	s.mu.Unlock()
	if e != nil {
		return e
	}
	writeJSON(c.w, http.StatusOK, hostedSuccess(hostedInvoked{
		Result:   result,
		Metadata: hostedInvokeResult{MCPID: m.id, Tool: tl.name, LatencyMS: latency.Milliseconds(), Timestamp: hostedTime(now)},
	}))
	return nil
}
