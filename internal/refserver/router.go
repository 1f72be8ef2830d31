package refserver

import (
	"net/http"
	"strings"
)

// The servers route by hand rather than with http.ServeMux, which would
// clean paths and redirect: neither API does, and the order of checks
// (authentication before 404 on one, 404 before authentication on the
// other) needs the route known without answering yet.

// pathPattern is a route's path: literal segments and at most one "{id}".
type pathPattern struct {
	text string
	segs []string
}

func newPattern(text string) pathPattern {
	return pathPattern{text: text, segs: strings.Split(text, "/")}
}

// match reports whether path (split at "/") fits the pattern, and the
// value of its {id} segment, which must not be empty.
func (p pathPattern) match(segs []string) (id string, ok bool) {
	if len(segs) != len(p.segs) {
		return "", false
	}
	for i, s := range p.segs {
		switch {
		case s == "{id}":
			if segs[i] == "" {
				return "", false
			}
			id = segs[i]
		case s != segs[i]:
			return "", false
		}
	}
	return id, true
}

// routeOf is a route of an API: a method, a path pattern and the handler
// type of that API.
type routeOf[H any] struct {
	method  string
	pattern pathPattern
	handle  H
}

// lookup finds the route for method and path. If the path is known but the
// method is not, route is nil and allow lists the path's methods (GET
// implies HEAD), in the order the routes are declared.
func lookup[H any](routes []routeOf[H], method, path string) (route *routeOf[H], id, pattern string, allow []string) {
	segs := strings.Split(path, "/")
	for i := range routes {
		rt := &routes[i]
		pid, ok := rt.pattern.match(segs)
		if !ok {
			continue
		}
		pattern = rt.pattern.text
		if rt.method == method || rt.method == http.MethodGet && method == http.MethodHead {
			return rt, pid, pattern, nil
		}
		allow = append(allow, rt.method)
		if rt.method == http.MethodGet {
			allow = append(allow, http.MethodHead)
		}
	}
	return nil, "", pattern, allow
}
