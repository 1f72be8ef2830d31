package refserver

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const (
	defaultPerPage = 20
	maxPerPage     = 100
)

type pageRequest struct{ page, perPage int }

// parsePage reads ?page= and ?per_page=. A value that is present must be a
// positive integer, and per_page at most 100: silently clamping would hide
// a client bug behind a short page.
func parsePage(q url.Values) (pageRequest, *hostedError) {
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
		if err != nil || n < 1 || f.max > 0 && n > f.max {
			problem := "Must be a positive integer"
			if f.max > 0 {
				problem = "Must be an integer from 1 to 100"
			}
			return p, invalidRequest("Invalid query parameter: %s", f.name).with(f.name, problem)
		}
		*f.dst = n
	}
	return p, nil
}

// paginate cuts one page out of items, which are already in created_at,
// id order. A page past the end is empty, never an error.
func paginate[T any](items []T, p pageRequest) ([]T, *hostedPagination) {
	total := len(items)
	pg := &hostedPagination{Page: p.page, PerPage: p.perPage, Total: total, TotalPages: (total + p.perPage - 1) / p.perPage}
	if p.page > pg.TotalPages {
		return []T{}, pg
	}
	start := (p.page - 1) * p.perPage
	return append([]T{}, items[start:min(start+p.perPage, total)]...), pg
}

func writeHostedList[T any](w http.ResponseWriter, items []T, p pageRequest) {
	page, pg := paginate(items, p)
	writeJSON(w, http.StatusOK, encodeJSON(hostedEnvelope{Success: true, Data: page, Pagination: pg}))
}

// queryChoice reads a query parameter that must be one of allowed when
// present.
func queryChoice(q url.Values, name string, allowed ...string) (string, *hostedError) {
	if !q.Has(name) {
		return "", nil
	}
	if v := q.Get(name); slices.Contains(allowed, v) {
		return v, nil
	}
	return "", invalidRequest("Invalid query parameter: %s", name).with(name, "Must be one of "+strings.Join(allowed, ", "))
}

// listMCPs lists the organisation's MCPs: every key sees every one. The
// filters are ?status= (active, inactive or all), ?health= (healthy or
// unhealthy) and the undocumented ?name= (exact).
func (h *hostedAPI) listMCPs(c *hostedCall) *hostedError {
	q := c.r.URL.Query()
	p, e := parsePage(q)
	if e != nil {
		return e
	}
	status, e := queryChoice(q, "status", statusActive, statusInactive, "all")
	if e != nil {
		return e
	}
	health, e := queryChoice(q, "health", "healthy", "unhealthy")
	if e != nil {
		return e
	}
	h.s.mu.Lock()
	items := []hostedMCPItem{}
	for _, m := range c.org.mcps {
		item := m.hostedItem()
		if (!q.Has("name") || item.Name == q.Get("name")) &&
			(status == "" || status == "all" || item.Status == status) &&
			(health == "" || item.Health == health) {
			items = append(items, item)
		}
	}
	h.s.mu.Unlock()
	writeHostedList(c.w, items, p)
	return nil
}

func (h *hostedAPI) getMCP(c *hostedCall) *hostedError {
	now := h.s.Now()
	h.s.mu.Lock()
	m := c.org.mcp(c.id)
	if m == nil {
		h.s.mu.Unlock()
		return hostedNotFound("MCP")
	}
	body := hostedSuccess(m.hostedDetail(now))
	h.s.mu.Unlock()
	writeJSON(c.w, http.StatusOK, body)
	return nil
}
