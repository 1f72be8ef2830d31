package plexmcp

import (
	"context"
	"net/url"
)

// ListMCPs returns every MCP the key can see that matches opts, following
// all pages.
func (c *Client) ListMCPs(ctx context.Context, opts ListMCPsOptions) ([]MCP, error) {
	q := url.Values{}
	if opts.Name != "" {
		q.Set("name", opts.Name)
	}
	if opts.Status != "" {
		q.Set("status", opts.Status)
	}
	out := []MCP{}
	err := listAll(ctx, c, "/mcps", q, func(page []wireMCP) {
		for _, m := range page {
			out = append(out, m.toMCP())
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetMCP returns one MCP. An MCP of another organization, or one an access
// key may not invoke, is a 404 *APIError.
func (c *Client) GetMCP(ctx context.Context, id string) (*MCP, error) {
	seg, err := pathSegment("MCP", id)
	if err != nil {
		return nil, err
	}
	var w wireMCP
	if _, err := c.do(ctx, request{method: "GET", path: "/mcps/" + seg}, &w); err != nil {
		return nil, c.confirmNotFound(ctx, err)
	}
	m := w.toMCP()
	return &m, nil
}

// maxPages stops a server that always reports another page from looping a
// list call forever.
const maxPages = 10000

// listAll fetches page after page of a list endpoint until the server says
// there are no more, handing each page's items to add.
func listAll[T any](ctx context.Context, c *Client, path string, q url.Values, add func([]T)) error {
	for page := 1; page <= maxPages; page++ {
		pq := url.Values{}
		for k, v := range q {
			pq[k] = v
		}
		pq.Set("page", itoa(page))
		pq.Set("per_page", itoa(c.pageSize))
		var items []T
		resp, err := c.do(ctx, request{method: "GET", path: path, query: pq}, &items)
		if err != nil {
			return err
		}
		add(items)
		// Stop on an empty page, or on the last page the server reports.
		// A response without pagination is treated as the only page.
		p := resp.pagination
		if len(items) == 0 || p == nil || page >= p.TotalPages {
			return nil
		}
	}
	return nil
}
