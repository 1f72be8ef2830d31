package refserver

import (
	"net/http"
	"time"
)

// apiHandler is one API's handlers behind the shared outer layer.
type apiHandler interface {
	// serveAPI answers one request. It sets r.Pattern to the route's
	// path pattern (for example "/v1/api-keys/{id}") once it knows it, so
	// that RequestCounts can count by route; unknown routes leave it "".
	serveAPI(w http.ResponseWriter, r *http.Request)
	// internalError answers a handler bug in the API's own error shape.
	internalError(w http.ResponseWriter)
}

// outer is the outermost layer, the same for both APIs: it dates, counts
// and logs every request and turns a panic into a 500, so no handler bug
// takes the process down or leaves a client without an answer.
func (s *Server) outer(api apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		// A real server's Date follows its own clock; clients may use it
		// to estimate clock skew, so it follows -clock-offset too.
		sw.Header().Set("Date", s.Now().UTC().Format(http.TimeFormat))
		defer func() {
			v := recover()
			s.count(r)
			s.log.request(r, sw.status, time.Since(start))
			if v == nil {
				return
			}
			if v != http.ErrAbortHandler {
				s.log.panicked(r, v)
				if sw.status == 0 {
					api.internalError(sw)
					return
				}
			}
			// Headers are out (or the abort was deliberate): the only
			// honest thing left is to drop the connection.
			panic(http.ErrAbortHandler)
		}()
		api.serveAPI(sw, r)
	})
}

// count records a request under its method and route pattern.
func (s *Server) count(r *http.Request) {
	p := r.Pattern
	if p == "" {
		p = "/"
	}
	method := r.Method
	if !knownMethods[method] {
		method = "OTHER" // clients choose the method: keep the map small
	}
	s.countMu.Lock()
	defer s.countMu.Unlock()
	s.counts[method+" "+p]++
	ua := r.UserAgent()
	if _, seen := s.userAgents[ua]; !seen && (len(s.userAgents) >= maxUserAgents || len(ua) > maxUserAgentLen) {
		ua = otherUserAgents // clients choose the header: keep the map small
	}
	s.userAgents[ua]++
}

// knownMethods are counted by name; any other method counts as OTHER.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// Limits on what UserAgents keeps; the rest is counted as otherUserAgents.
const (
	maxUserAgents   = 32
	maxUserAgentLen = 512
	otherUserAgents = "(other)"
)

// statusWriter remembers the status for the access log and for the panic
// handler, which may only write a 500 if nothing was written yet.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
