package plexmcp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPredicates(t *testing.T) {
	t.Parallel()
	type verdicts struct {
		NotFound, Unauthorized, Forbidden, AccessDenied, Conflict, RateLimited, Validation, QuotaExceeded, OnlyActiveKey bool
	}
	tests := map[string]struct {
		err  error
		want verdicts
	}{
		"hosted 404":                 {err: &APIError{StatusCode: 404, Code: "not_found"}, want: verdicts{NotFound: true}},
		"server 404":                 {err: &APIError{StatusCode: 404, Code: "NOT_FOUND"}, want: verdicts{NotFound: true}},
		"hosted 401":                 {err: &APIError{StatusCode: 401, Code: "unauthorized"}, want: verdicts{Unauthorized: true}},
		"hosted 401 expired_key":     {err: &APIError{StatusCode: 401, Code: "expired_key"}, want: verdicts{Unauthorized: true}},
		"server 401 shape A":         {err: &APIError{StatusCode: 401, Message: "Invalid API key"}, want: verdicts{Unauthorized: true}},
		"proxy 401 -32002":           {err: &RPCError{HTTPStatus: 401, Code: -32002}, want: verdicts{Unauthorized: true}},
		"proxy -32002 with 200":      {err: &RPCError{HTTPStatus: 200, Code: -32002}, want: verdicts{Unauthorized: true}},
		"hosted 403 forbidden":       {err: &APIError{StatusCode: 403, Code: "forbidden", Message: "You don't have permission to perform this action"}, want: verdicts{Forbidden: true}},
		"hosted 403 not permitted":   {err: &APIError{StatusCode: 403, Code: "mcp_not_permitted"}, want: verdicts{Forbidden: true, AccessDenied: true}},
		"proxy access denied":        {err: &RPCError{HTTPStatus: 200, Code: -32602, Message: "MCP not found or access denied: Sandbox"}, want: verdicts{AccessDenied: true}},
		"proxy other invalid params": {err: &RPCError{HTTPStatus: 200, Code: -32602, Message: "Missing params"}},
		"hosted 409":                 {err: &APIError{StatusCode: 409, Code: "conflict"}, want: verdicts{Conflict: true}},
		"hosted 429":                 {err: &APIError{StatusCode: 429, Code: "rate_limited"}, want: verdicts{RateLimited: true}},
		"server 429":                 {err: &APIError{StatusCode: 429, Code: "RATE_LIMITED"}, want: verdicts{RateLimited: true}},
		"proxy -32029":               {err: &RPCError{HTTPStatus: 429, Code: -32029, Data: map[string]any{"retry_after_seconds": 17.0}}, want: verdicts{RateLimited: true}},
		"proxy monthly quota":        {err: &RPCError{HTTPStatus: 429, Code: -32029, Data: map[string]any{"upgrade_url": "u", "limit": 1.0}}, want: verdicts{QuotaExceeded: true}},
		"hosted 429 quota_exceeded":  {err: &APIError{StatusCode: 429, Code: "quota_exceeded"}, want: verdicts{QuotaExceeded: true}},
		"server 402 quota":           {err: &APIError{StatusCode: 402, Code: "QUOTA_EXCEEDED"}, want: verdicts{QuotaExceeded: true}},
		"server 402 other":           {err: &APIError{StatusCode: 402, Code: "PAYMENT_REQUIRED"}},
		"reference 403 key limit":    {err: &APIError{StatusCode: 403, Code: "forbidden", Message: "API key limit reached for your plan"}, want: verdicts{Forbidden: true, QuotaExceeded: true}},
		"hosted 422 validation":      {err: &APIError{StatusCode: 422, Code: "validation_error"}, want: verdicts{Validation: true}},
		"hosted 400 invalid_request": {err: &APIError{StatusCode: 400, Code: "invalid_request"}, want: verdicts{Validation: true}},
		"hosted 422 idempotency":     {err: &APIError{StatusCode: 422, Code: "idempotency_mismatch"}},
		"server 400 validation":      {err: &APIError{StatusCode: 400, Code: "VALIDATION_ERROR"}, want: verdicts{Validation: true}},
		"server 422 text":            {err: &APIError{StatusCode: 422, Message: "Failed to deserialize the JSON body"}, want: verdicts{Validation: true}},
		"server 400 text":            {err: &APIError{StatusCode: 400, Message: "Invalid URL: UUID parsing failed"}},
		"only active key":            {err: &APIError{StatusCode: 403, Code: "forbidden", Message: "Cannot revoke your only active key"}, want: verdicts{Forbidden: true, OnlyActiveKey: true}},
		"wrapped":                    {err: fmt.Errorf("outer: %w", &APIError{StatusCode: 404}), want: verdicts{NotFound: true}},
		"joined":                     {err: errors.Join(errors.New("x"), &RPCError{HTTPStatus: 401, Code: -32002}), want: verdicts{Unauthorized: true}},
		"partial update":             {err: &PartialUpdateError{Err: &APIError{StatusCode: 409}}, want: verdicts{Conflict: true}},
		"uncertain create":           {err: &CreateUncertainError{Err: &APIError{StatusCode: 503}}},
		"plain":                      {err: errors.New("404 not found")},
		"nil":                        {},
		"nil APIError":               {err: (*APIError)(nil)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := verdicts{
				IsNotFound(tc.err), IsUnauthorized(tc.err), IsForbidden(tc.err), IsAccessDenied(tc.err), IsConflict(tc.err),
				IsRateLimited(tc.err), IsValidation(tc.err), IsQuotaExceeded(tc.err), IsOnlyActiveKey(tc.err),
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("predicates mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	t.Parallel()
	from, to := utc("2026-01-20T12:00:00Z"), utc("2026-01-20T12:00:09Z")
	tests := map[string]struct {
		err  error
		want []string // substrings, in order
	}{
		"APIError with details": {
			err:  &APIError{StatusCode: 422, Code: "validation_error", Message: "Validation failed", Details: map[string]string{"name": "Must be 1 to 100 characters", "expires_at": "Must be a future date"}},
			want: []string{"HTTP 422 validation_error: Validation failed (expires_at: Must be a future date; name: Must be 1 to 100 characters)"},
		},
		"APIError without a message": {err: &APIError{StatusCode: 404}, want: []string{"HTTP 404: Not Found"}},
		"RPCError":                   {err: &RPCError{HTTPStatus: 200, Code: -32602, Message: "MCP not found or access denied: X"}, want: []string{"-32602", "HTTP 200", "access denied: X"}},
		"uncertain, findable": {
			err:  &CreateUncertainError{Name: "ci", From: from, To: to, Findable: true, Err: context.DeadlineExceeded},
			want: []string{`"ci"`, "may exist", "2026-01-20T12:00:00Z", "2026-01-20T12:00:09Z", "GET /v1/api-keys?status=active", "revoke", "deadline exceeded"},
		},
		"uncertain, not findable": {
			err:  &CreateUncertainError{Name: "ci", From: from, To: to, Err: errors.New("EOF")},
			want: []string{`"ci"`, "2026-01-20T12:00:00Z", "2026-01-20T12:00:09Z", "lists no keys to an API-key caller", "owner or admin", "API Keys page", "DELETE /api/v1/api-keys/{id}", "EOF"},
		},
		"unsupported": {err: &UnsupportedError{Operation: "listing API keys", Reason: "because"}, want: []string{"listing API keys is not supported: because"}},
		"partial":     {err: &PartialUpdateError{Current: &APIKey{ID: "k1"}, Err: errors.New("boom")}, want: []string{"k1", "part-way", "boom"}},
		"config":      {err: &ConfigError{Setting: "api_key", Problem: "is empty"}, want: []string{"api_key is empty"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			msg, at := tc.err.Error(), 0
			for _, w := range tc.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("message %q lacks %q (after position %d)", msg, w, at)
				}
				at += i + len(w)
			}
		})
	}
}

func TestCreateUncertainErrorPending(t *testing.T) {
	t.Parallel()
	e := &CreateUncertainError{Name: "ci", From: utc("2026-01-20T12:00:00Z"), To: utc("2026-01-20T12:00:09Z"), Findable: true, Err: context.Canceled}
	want := PendingCreate{Name: "ci", From: utc("2026-01-20T12:00:00Z"), To: utc("2026-01-20T12:00:09Z")}
	if diff := cmp.Diff(want, e.Pending()); diff != "" {
		t.Errorf("Pending mismatch (-want +got):\n%s", diff)
	}
	if !errors.Is(e, context.Canceled) {
		t.Error("the cause is not reachable with errors.Is")
	}
}
