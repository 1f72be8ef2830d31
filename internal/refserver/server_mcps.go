package refserver

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// listMCPsQuery is ListMcpsQuery as serde_urlencoded reads it.
type listMCPsQuery struct {
	status, mcpType string
	page, perPage   *int64
	hasStatus       bool
	hasType         bool
}

// parseMCPQuery reads ?status=, ?mcp_type=, ?page= and ?per_page= and
// words a failure as axum's Query rejection does. Unknown parameters are
// ignored; a repeated known one is an error.
func parseMCPQuery(rawQuery string) (listMCPsQuery, string) {
	var q listMCPsQuery
	seen := map[string]bool{}
	for part := range strings.SplitSeq(rawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			key, val = k, v // kept as written, as form_urlencoded does with bad escapes
		}
		switch key {
		case "status", "mcp_type", "page", "per_page":
		default:
			continue
		}
		if seen[key] {
			return q, "duplicate field `" + key + "`"
		}
		seen[key] = true
		switch key {
		case "status":
			q.status, q.hasStatus = val, true
		case "mcp_type":
			q.mcpType, q.hasType = val, true
		default:
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return q, rustParseIntError(val, err)
			}
			if key == "page" {
				q.page = &n
			} else {
				q.perPage = &n
			}
		}
	}
	return q, ""
}

// rustParseIntError is Rust's ParseIntError for what Go could not parse.
func rustParseIntError(s string, err error) string {
	switch {
	case s == "":
		return "cannot parse integer from empty string"
	case strings.Contains(err.Error(), "range") && strings.HasPrefix(s, "-"):
		return "number too small to fit in target type"
	case strings.Contains(err.Error(), "range"):
		return "number too large to fit in target type"
	}
	return "invalid digit found in string"
}

// listMCPs is a bare array, newest first, filtered by exact status and
// mcp_type, paged by page (below 1 means 1) and per_page (default 50, above
// 100 means 100, 0 gives nothing). A negative per_page, or a page whose
// offset overflows into the negatives, is the database's error, as on the
// real server.
func (h *serverAPI) listMCPs(c *serverCall) *serverError {
	q, msg := parseMCPQuery(c.r.URL.RawQuery)
	if msg != "" {
		writeText(c.w, http.StatusBadRequest, "Failed to deserialize query string: "+msg)
		return nil
	}
	page, perPage := int64(1), int64(50)
	if q.page != nil {
		page = max(*q.page, 1)
	}
	if q.perPage != nil {
		perPage = min(*q.perPage, 100)
	}
	offset := (page - 1) * perPage // wraps like the real server's arithmetic
	if perPage < 0 || offset < 0 {
		return errServerDatabase
	}
	mcps := slices.Clone(c.org.mcps) // MCPs never change after seeding
	slices.SortStableFunc(mcps, func(a, b *mcp) int { return cmp.Or(b.createdAt.Compare(a.createdAt), cmp.Compare(b.id, a.id)) })
	items := []serverMCPJSON{}
	for _, m := range mcps {
		j := m.serverJSON()
		if (!q.hasStatus || j.Status == q.status) && (!q.hasType || j.MCPType == q.mcpType) {
			items = append(items, j)
		}
	}
	if offset >= int64(len(items)) {
		items = items[:0]
	} else {
		items = items[offset:min(offset+perPage, int64(len(items)))]
	}
	writeJSONBody(c.w, http.StatusOK, encodeJSON(items))
	return nil
}

func (h *serverAPI) getMCP(c *serverCall) *serverError {
	m := c.org.mcp(c.id)
	if m == nil {
		return errServerNotFound
	}
	writeJSONBody(c.w, http.StatusOK, encodeJSON(m.serverJSON()))
	return nil
}
