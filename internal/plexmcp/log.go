package plexmcp

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Level says how loud a log line is. The provider maps these onto tflog.
type Level int

// Log levels, quietest first.
const (
	// LevelTrace carries go-retryablehttp's own chatter, which repeats what
	// the client logs itself and is only useful when debugging the client.
	LevelTrace Level = iota
	// LevelDebug carries one line per HTTP attempt.
	LevelDebug
	// LevelWarn carries retries and back-offs, which a user waiting on a
	// slow apply wants to see.
	LevelWarn
)

func (l Level) String() string {
	switch l {
	case LevelTrace:
		return "TRACE"
	case LevelDebug:
		return "DEBUG"
	case LevelWarn:
		return "WARN"
	default:
		return fmt.Sprintf("Level(%d)", int(l))
	}
}

// Logger receives the client's log lines. It is never given a header, a
// request or response body, or an API key: every message and field passes
// through the same scrubber first, so an implementation may forward them
// anywhere.
type Logger interface {
	Log(ctx context.Context, level Level, msg string, fields map[string]any)
}

// keyPattern matches anything shaped like a PlexMCP key: pmcp_ keys, of
// which the first 12 characters (what the hosted API reports as the key's
// prefix) stay readable, and the older pk_live_/pk_test_ keys. It is
// applied to every logged string as a last line of defence: a key can reach
// a log through an unexpected path (an id typed by a user, an error from a
// proxy that echoes the request), and a redacted line costs nothing.
var keyPattern = regexp.MustCompile(`(pmcp_[0-9A-Za-z]{7}|pk_(?:live|test)_)[0-9A-Za-z]+`)

// keyBodyPattern catches key material without its prefix: a run of 80 or
// more hexadecimal characters is a pmcp_01 key's body (a UUID has hyphens
// and a SHA-256 digest 64 characters), pasted somewhere on its own.
var keyBodyPattern = regexp.MustCompile(`[0-9A-Fa-f]{80,}`)

// schemePattern catches a credential in a rendered header, whatever its
// shape, after either API's scheme word.
var schemePattern = regexp.MustCompile(`(?i)\b(bearer|apikey)(\s+)\S+`)

// headerNames are red flags: if one appears, something is rendering
// headers, so the text says nothing about them.
var headerNames = regexp.MustCompile(`(?i)authorization|x-api-key`)

// scrubber removes credentials from text bound for a log or an error.
type scrubber struct {
	// key is the client's own credential, removed verbatim even when it
	// does not look like a PlexMCP key.
	key Secret
}

func (s scrubber) string(v string) string {
	if k := s.key.Reveal(); k != "" && strings.Contains(v, k) {
		v = strings.ReplaceAll(v, k, redacted)
	}
	v = keyPattern.ReplaceAllString(v, "${1}"+redacted)
	v = keyBodyPattern.ReplaceAllString(v, redacted)
	v = schemePattern.ReplaceAllString(v, "${1}${2}"+redacted)
	return headerNames.ReplaceAllString(v, "[header]")
}

// value makes a field value safe to log. Numbers, booleans and durations
// pass through so a structured logger can keep their type; anything else is
// rendered to a string and scrubbed.
func (s scrubber) value(v any) any {
	switch t := v.(type) {
	case nil, bool, int, int32, int64, uint, uint32, uint64, float32, float64, time.Duration, Level:
		return t
	case string:
		return s.string(t)
	case *url.URL:
		return s.string(pathOnly(t))
	case error:
		return s.string(t.Error())
	case fmt.Stringer:
		return s.string(t.String())
	default:
		return s.string(fmt.Sprintf("%v", t))
	}
}

// pathOnly drops the scheme, host, user info and query of a URL: the query
// can carry user input and the rest is the same on every line.
func pathOnly(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.EscapedPath()
}

// logSink is the client's logger plus its scrubber. A nil logger is silent.
type logSink struct {
	logger Logger
	scrub  scrubber
}

func (l logSink) log(ctx context.Context, level Level, msg string, fields map[string]any) {
	if l.logger == nil {
		return
	}
	clean := make(map[string]any, len(fields))
	for k, v := range fields {
		if headerNames.MatchString(k) {
			continue
		}
		clean[k] = l.scrub.value(v)
	}
	l.logger.Log(ctx, level, l.scrub.string(msg), clean)
}

// retryableLogger adapts go-retryablehttp's LeveledLogger to the client's
// Logger, so the library's own lines get the same scrubbing as ours. Its
// lines repeat what the client already logs, so they go out at trace level.
type retryableLogger struct {
	ctx  context.Context
	sink logSink
}

func (r retryableLogger) Error(msg string, kv ...any) { r.emit(LevelDebug, msg, kv) }
func (r retryableLogger) Warn(msg string, kv ...any)  { r.emit(LevelDebug, msg, kv) }
func (r retryableLogger) Info(msg string, kv ...any)  { r.emit(LevelTrace, msg, kv) }
func (r retryableLogger) Debug(msg string, kv ...any) { r.emit(LevelTrace, msg, kv) }

func (r retryableLogger) emit(level Level, msg string, kv []any) {
	fields := map[string]any{"source": "go-retryablehttp"}
	for i := 0; i+1 < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			continue
		}
		v := kv[i+1]
		// The library renders URLs with their query; keep only the path.
		if s, ok := v.(string); ok && (k == "url" || k == "request") {
			v = stripQuery(s)
		}
		fields[k] = v
	}
	r.sink.log(r.ctx, level, msg, fields)
}

// stripQuery removes a query string from a URL embedded in text such as
// "GET http://host/v1/api-keys?page=2 (status: 429)".
func stripQuery(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		q := strings.IndexByte(s, '?')
		if q < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:q])
		s = s[q:]
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			break
		}
		s = s[end:]
	}
	return b.String()
}
