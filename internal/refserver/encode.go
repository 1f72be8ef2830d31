package refserver

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Both APIs write JSON the same way, as a server built on serde_json would.

// encodeJSON renders a response, with a newline. Every value the server
// puts in one is marshalable, so an error here is a bug and is reported as
// such. Like serde_json, it leaves <, > and & as they are.
func encodeJSON(v any) []byte {
	b, err := marshalJSON(v)
	if err != nil {
		panic(fmt.Sprintf("refserver: cannot encode response: %v", err))
	}
	return append(b, '\n')
}

// marshalJSON is json.Marshal without HTML escaping.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
