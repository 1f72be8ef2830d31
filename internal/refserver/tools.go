package refserver

import (
	"encoding/json"
	"errors"
	"math"
)

// tool is a tool of a seeded MCP. Both APIs run the same tools; they are
// deterministic so that tests and golden files can pin their answers.
type tool struct {
	name, description string
	// inputSchema is the JSON Schema of the arguments, as both APIs show
	// it (the hosted API as input_schema, a PlexMCP server as inputSchema).
	inputSchema map[string]any
	run         func(args map[string]any) (any, error)
}

// errWrongArguments is a tool's answer to arguments that do not match its
// schema. Both APIs report it as msgWrongArguments.
var errWrongArguments = errors.New("wrong argument format")

const msgWrongArguments = "Wrong argument format"

// tools is the catalogue, by name.
var tools = map[string]*tool{
	"get_weather": {
		name:        "get_weather",
		description: "Returns the current weather for a city.",
		inputSchema: map[string]any{
			"type":       "object",
			"properties": map[string]any{"city": map[string]any{"type": "string", "description": "City name, e.g. London"}},
			"required":   []any{"city"},
		},
		run: func(args map[string]any) (any, error) {
			city, ok := args["city"].(string)
			if !ok || city == "" {
				return nil, errWrongArguments
			}
			return map[string]any{"city": city, "conditions": "sunny", "temperature_c": 21}, nil
		},
	},
	"add": {
		name:        "add",
		description: "Adds two numbers.",
		inputSchema: map[string]any{
			"type":       "object",
			"properties": map[string]any{"a": map[string]any{"type": "number"}, "b": map[string]any{"type": "number"}},
			"required":   []any{"a", "b"},
		},
		run: func(args map[string]any) (any, error) {
			a, okA := number(args["a"])
			b, okB := number(args["b"])
			if !okA || !okB || math.IsInf(a+b, 0) {
				return nil, errWrongArguments
			}
			return map[string]any{"sum": a + b}, nil
		},
	},
	"echo": {
		name:        "echo",
		description: "Returns its arguments unchanged.",
		inputSchema: map[string]any{"type": "object"},
		run:         func(args map[string]any) (any, error) { return args, nil },
	},
	"ping": {
		name:        "ping",
		description: "Answers pong.",
		inputSchema: map[string]any{"type": "object", "properties": map[string]any{}},
		run:         func(map[string]any) (any, error) { return map[string]any{"message": "pong"}, nil },
	},
}

// number reads a JSON number decoded with UseNumber, finite and in range.
func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil && !math.IsInf(f, 0)
}
