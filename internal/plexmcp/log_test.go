package plexmcp

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestScrubber(t *testing.T) {
	t.Parallel()
	s := scrubber{key: NewSecret("custom-admin-credential")}
	u, _ := url.Parse("http://h/v1/api-keys/pk_test_abcDEF123?page=2")
	tests := map[string]struct {
		in   any
		want any
	}{
		"pmcp key":           {in: "got " + unitKey + " here", want: "got " + unitKey[:12] + "[redacted] here"},
		"server key prefix":  {in: "prefix pmcp_018db4d4f83c...", want: "prefix pmcp_018db4d[redacted]..."},
		"hosted key prefix":  {in: "prefix pmcp_018db4d", want: "prefix pmcp_018db4d"},
		"a key's body alone": {in: "id-" + unitKey[5:] + "/x", want: "id-[redacted]/x"},
		"a digest stays":     {in: strings.Repeat("ab", 32), want: strings.Repeat("ab", 32)},
		"live key":           {in: "got pk_live_abcDEF123 here", want: "got pk_live_[redacted] here"},
		"test key":           {in: "pk_test_Z9", want: "pk_test_[redacted]"},
		"own odd-shaped key": {in: "x custom-admin-credential y", want: "x [redacted] y"},
		"bearer header":      {in: "Bearer abc.def", want: "Bearer [redacted]"},
		"apikey header":      {in: "ApiKey abc.def", want: "ApiKey [redacted]"},
		"header name":        {in: "Authorization: x", want: "[header]: x"},
		"lower header name":  {in: "authorization=x", want: "[header]=x"},
		"proxy header name":  {in: "X-API-Key: x", want: "[header]: x"},
		"error value":        {in: errors.New("dial pk_live_Q1"), want: "dial pk_live_[redacted]"},
		"URL keeps path":     {in: u, want: "/v1/api-keys/pk_test_[redacted]"},
		"Stringer":           {in: NewSecret("pk_live_abc"), want: "[redacted]"},
		"api_key setting":    {in: "api_key is empty", want: "api_key is empty"},
		"number kept":        {in: 429, want: 429},
		"duration kept":      {in: time.Second, want: time.Second},
		"other types":        {in: []string{"pk_live_abc"}, want: "[pk_live_[redacted]]"},
		"nothing to do":      {in: "GET /v1/mcps", want: "GET /v1/mcps"},
		"nil":                {in: nil, want: nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, s.value(tc.in)); diff != "" {
				t.Errorf("value mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetryableLoggerAdapter(t *testing.T) {
	t.Parallel()
	c := &collector{}
	l := retryableLogger{ctx: t.Context(), sink: logSink{logger: c, scrub: scrubber{key: testKey}}}
	l.Info("performing request", "method", "GET", "url", "http://h/v1/mcps?name=x")
	l.Warn("odd", "authorization", "ApiKey "+testKey.Reveal(), 7, "dropped: key is not a string", "X-API-Key", testKey.Reveal())
	l.Error("request failed", "error", errors.New("Get \"http://h/v1/api-keys/"+testKey.Reveal()+"\": EOF"))
	l.Debug("retrying request", "request", "GET http://h/v1/api-keys?page=2 (status: 429)", "timeout", time.Second)
	want := []logLine{
		{Level: LevelTrace, Msg: "performing request", Fields: map[string]any{"source": "go-retryablehttp", "method": "GET", "url": "http://h/v1/mcps"}},
		{Level: LevelDebug, Msg: "odd", Fields: map[string]any{"source": "go-retryablehttp"}},
		{Level: LevelDebug, Msg: "request failed", Fields: map[string]any{"source": "go-retryablehttp", "error": `Get "http://h/v1/api-keys/[redacted]": EOF`}},
		{Level: LevelTrace, Msg: "retrying request", Fields: map[string]any{"source": "go-retryablehttp", "request": "GET http://h/v1/api-keys (status: 429)", "timeout": time.Second}},
	}
	if diff := cmp.Diff(want, c.all()); diff != "" {
		t.Errorf("adapter lines mismatch (-want +got):\n%s", diff)
	}
}
