package refserver

import (
	"net/http"
	"net/url"
	"strconv"
)

const (
	defaultPerPage = 20
	maxPerPage     = 100
)

type pageRequest struct{ page, perPage int }

// parsePage reads ?page= and ?per_page=. A value that is present must be a
// positive integer, and per_page at most 100: silently clamping would hide
// a client bug behind a short page.
func parsePage(q url.Values) (pageRequest, *apiError) {
	p := pageRequest{page: 1, perPage: defaultPerPage}
	for _, f := range []struct {
		name string
		dst  *int
		max  int
	}{{"page", &p.page, 0}, {"per_page", &p.perPage, maxPerPage}} {
		if !q.Has(f.name) {
			continue
		}
		n, err := strconv.Atoi(q.Get(f.name))
		if err != nil || n < 1 {
			return p, fieldError(f.name, "%s must be a positive integer", f.name)
		}
		if f.max > 0 && n > f.max {
			return p, fieldError(f.name, "%s must be at most %d", f.name, f.max)
		}
		*f.dst = n
	}
	return p, nil
}

// paginate cuts one page out of items, which are already in created_at,
// id order. A page past the end is empty, never an error.
func paginate[T any](items []T, p pageRequest) ([]T, *pagination) {
	total := len(items)
	pg := &pagination{Page: p.page, PerPage: p.perPage, Total: total, TotalPages: (total + p.perPage - 1) / p.perPage}
	if p.page > pg.TotalPages {
		return []T{}, pg
	}
	start := (p.page - 1) * p.perPage
	return append([]T{}, items[start:min(start+p.perPage, total)]...), pg
}

func writeList[T any](w http.ResponseWriter, items []T, p pageRequest) {
	page, pg := paginate(items, p)
	writeRaw(w, http.StatusOK, encode(envelope{Success: true, Data: page, Pagination: pg}))
}

// statusFilter reads ?status=, which must be one of allowed when present.
func statusFilter(q url.Values, allowed ...string) (string, *apiError) {
	if !q.Has("status") {
		return "", nil
	}
	v := q.Get("status")
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", fieldError("status", "status must be one of %v", allowed)
}

// visibleLocked reports whether the caller may see m: a management key sees
// every MCP of its organisation, an access key only those it may invoke.
func (c *call) visibleLocked(m *mcp) bool { return c.who.management() || c.who.key.mayInvoke(m) }

func (s *Server) listMCPs(c *call) *apiError {
	q := c.r.URL.Query()
	p, e := parsePage(q)
	if e != nil {
		return e
	}
	status, e := statusFilter(q, statusActive, statusInactive)
	if e != nil {
		return e
	}
	s.mu.Lock()
	items := []mcpJSON{}
	for _, m := range c.who.org.mcps {
		if c.visibleLocked(m) && (!q.Has("name") || m.name == q.Get("name")) && (status == "" || m.status == status) {
			items = append(items, m.json())
		}
	}
	s.mu.Unlock()
	writeList(c.w, items, p)
	return nil
}

func (s *Server) getMCP(c *call) *apiError {
	s.mu.Lock()
	m := c.who.org.mcp(c.r.PathValue("id"))
	if m == nil || !c.visibleLocked(m) {
		s.mu.Unlock()
		return notFound("MCP")
	}
	body := successBody(m.json())
	s.mu.Unlock()
	writeRaw(c.w, http.StatusOK, body)
	return nil
}
