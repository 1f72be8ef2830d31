package refserver

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
)

// accessLog writes one line per request: METHOD PATH STATUS DURATION. It
// never writes a header value, a query string or a body, and it redacts
// anything in the path that looks like a key, because a path is whatever a
// client typed.
type accessLog struct {
	mu sync.Mutex
	w  io.Writer
}

func newAccessLog(w io.Writer) *accessLog {
	if w == nil {
		w = io.Discard
	}
	return &accessLog{w: w}
}

// keyLike matches PlexMCP keys of every documented format: pmcp_ keys and
// the older pk_live_ and pk_test_ ones.
var keyLike = regexp.MustCompile(`(pmcp|pk_live|pk_test)_[0-9A-Za-z]*`)

func (l *accessLog) request(r *http.Request, status int, d time.Duration) {
	code := "000" // nothing was sent: the connection was dropped
	if status != 0 {
		code = strconv.Itoa(status)
	}
	l.printf("%s %s %s %s\n", sanitize(r.Method), logPath(r), code, d.Round(time.Microsecond))
}

// logPath is the path with anything key-shaped redacted, then escaped so it
// stays on one line. Redacting the decoded path matters: pmcp%5F01… is the
// same key to the router, and must be to the log too.
func logPath(r *http.Request) string {
	escaped := (&url.URL{Path: keyLike.ReplaceAllString(r.URL.Path, "${1}_[redacted]")}).EscapedPath()
	return strings.ReplaceAll(escaped, "_%5Bredacted%5D", "_[redacted]")
}

// panicked records a handler panic with its stack, but not the panic value,
// which could carry request data.
func (l *accessLog) panicked(r *http.Request, v any) {
	l.printf("panic serving %s %s: %T\n%s", sanitize(r.Method), logPath(r), v, debug.Stack())
}

func (l *accessLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = fmt.Fprintf(l.w, format, args...)
}

// sanitize keeps a method printable, on one line and free of keys: net/http
// accepts any token as a method, a key pasted as curl's -X included, and
// the handler can be called directly.
func sanitize(s string) string {
	if s == "" {
		return "-"
	}
	s = keyLike.ReplaceAllString(s, "${1}_[redacted]")
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r >= 0x7f {
			return '?'
		}
		return r
	}, s)
}
