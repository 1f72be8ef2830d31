package plexmcp

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

func TestResolveEndpoint(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		baseURL string
		api     API
		want    Endpoint
		setting string // the *ConfigError's Setting; "" = no error
	}{
		// Nothing configured: the default URL, API detected at first use.
		"all defaults":             {want: Endpoint{API: APIHosted, BaseURL: DefaultBaseURL, Detect: true}},
		"default URL, hosted":      {api: APIHosted, want: Endpoint{API: APIHosted, BaseURL: DefaultBaseURL}},
		"default URL, server":      {api: APIServer, setting: "base_url"},
		"blank URL is the default": {baseURL: "  ", want: Endpoint{API: APIHosted, BaseURL: DefaultBaseURL, Detect: true}},

		// API from the path.
		"/api/v1 means server":       {baseURL: "http://127.0.0.1:8080/api/v1", want: Endpoint{API: APIServer, BaseURL: "http://127.0.0.1:8080/api/v1"}},
		"/v1 means hosted":           {baseURL: "https://api.plexmcp.com/v1", want: Endpoint{API: APIHosted, BaseURL: "https://api.plexmcp.com/v1"}},
		"trailing slash tolerated":   {baseURL: "https://api.plexmcp.com/v1/", want: Endpoint{API: APIHosted, BaseURL: "https://api.plexmcp.com/v1"}},
		"prefix kept, server":        {baseURL: "https://gw.example/plexmcp/api/v1/", want: Endpoint{API: APIServer, BaseURL: "https://gw.example/plexmcp/api/v1"}},
		"no version path: ambiguous": {baseURL: "https://plexmcp.example.com", setting: "api"},
		"other path: ambiguous":      {baseURL: "https://plexmcp.example.com/v2", setting: "api"},
		"version is case-sensitive":  {baseURL: "https://plexmcp.example.com/API/V1", setting: "api"},

		// Hosted.
		"hosted keeps /v1":          {baseURL: "http://127.0.0.1:1/v1", api: APIHosted, want: Endpoint{API: APIHosted, BaseURL: "http://127.0.0.1:1/v1"}},
		"hosted appends /v1":        {baseURL: "http://127.0.0.1:1", api: APIHosted, want: Endpoint{API: APIHosted, BaseURL: "http://127.0.0.1:1/v1"}},
		"hosted appends after path": {baseURL: "http://127.0.0.1:1/gw/", api: APIHosted, want: Endpoint{API: APIHosted, BaseURL: "http://127.0.0.1:1/gw/v1"}},
		"hosted with /api/v1":       {baseURL: "http://127.0.0.1:1/api/v1", api: APIHosted, setting: "api"},

		// Server.
		"server keeps /api/v1":   {baseURL: "http://localhost:8080/api/v1", api: APIServer, want: Endpoint{API: APIServer, BaseURL: "http://localhost:8080/api/v1"}},
		"server appends /api/v1": {baseURL: "http://localhost:8080/", api: APIServer, want: Endpoint{API: APIServer, BaseURL: "http://localhost:8080/api/v1"}},
		"server with /v1":        {baseURL: "http://localhost:8080/v1", api: APIServer, setting: "api"},
		"server with other /v1":  {baseURL: "http://localhost:8080/x/v1", api: APIServer, setting: "api"},
		"unknown api":            {api: "cloud", setting: "api"},
		"api is case-sensitive":  {api: "Hosted", setting: "api"},

		// The URL itself.
		"no scheme":     {baseURL: "api.plexmcp.com/v1", setting: "base_url"},
		"ftp":           {baseURL: "ftp://api.plexmcp.com/v1", setting: "base_url"},
		"no host":       {baseURL: "https:///v1", setting: "base_url"},
		"opaque":        {baseURL: "https:api.plexmcp.com/v1", setting: "base_url"},
		"query":         {baseURL: "https://api.plexmcp.com/v1?key=" + unitKey, setting: "base_url"},
		"empty query":   {baseURL: "https://api.plexmcp.com/v1?", setting: "base_url"},
		"fragment":      {baseURL: "https://api.plexmcp.com/v1#" + unitKey, setting: "base_url"},
		"credentials":   {baseURL: "https://u:" + unitKey + "@api.plexmcp.com/v1", setting: "base_url"},
		"unparsable":    {baseURL: "http://[::1", setting: "base_url"},
		"bad port":      {baseURL: "http://host:port/v1", setting: "base_url"},
		"control chars": {baseURL: "http://host/v1\n", want: Endpoint{API: APIHosted, BaseURL: "http://host/v1"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ResolveEndpoint(tc.baseURL, tc.api)
			if tc.setting == "" {
				if err != nil {
					t.Fatalf("ResolveEndpoint: %v", err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("endpoint mismatch (-want +got):\n%s", diff)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want *ConfigError", err, err)
			}
			if ce.Setting != tc.setting || ce.Problem == "" {
				t.Errorf("ConfigError = %+v, want Setting %q and a problem", ce, tc.setting)
			}
			if !strings.HasPrefix(err.Error(), tc.setting+" ") {
				t.Errorf("message %q does not start with the setting", err)
			}
			if tc.baseURL != "" && strings.Contains(err.Error(), strings.TrimSpace(tc.baseURL)) || strings.Contains(err.Error(), unitKey[12:]) {
				t.Errorf("the message repeats the URL: %s", testsecrets.Hide(err.Error(), unitKey))
			}
		})
	}
}

func TestRootOf(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		ep   Endpoint
		want string
	}{
		"hosted":        {ep: Endpoint{API: APIHosted, BaseURL: "https://api.plexmcp.com/v1"}, want: "https://api.plexmcp.com"},
		"server":        {ep: Endpoint{API: APIServer, BaseURL: "http://localhost:8080/api/v1"}, want: "http://localhost:8080"},
		"server prefix": {ep: Endpoint{API: APIServer, BaseURL: "https://gw/plex/api/v1"}, want: "https://gw/plex"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := rootOf(tc.ep); got != tc.want {
				t.Errorf("rootOf = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		cfg         Config
		wantAPI     API
		wantURL     string
		wantRetries int
		setting     string // the *ConfigError's Setting; "" = no error
	}{
		"zero config":          {wantAPI: APIHosted, wantURL: DefaultBaseURL, wantRetries: DefaultMaxRetries},
		"MaxRetries nil":       {cfg: Config{API: APIHosted}, wantAPI: APIHosted, wantURL: DefaultBaseURL, wantRetries: DefaultMaxRetries},
		"MaxRetries new(0)":    {cfg: Config{API: APIHosted, MaxRetries: new(0)}, wantAPI: APIHosted, wantURL: DefaultBaseURL, wantRetries: 0},
		"MaxRetries new(3)":    {cfg: Config{API: APIHosted, MaxRetries: new(3)}, wantAPI: APIHosted, wantURL: DefaultBaseURL, wantRetries: 3},
		"negative MaxRetries":  {cfg: Config{MaxRetries: new(-1)}, setting: "max_retries"},
		"server from the URL":  {cfg: Config{BaseURL: "http://127.0.0.1:9/api/v1"}, wantAPI: APIServer, wantURL: "http://127.0.0.1:9/api/v1", wantRetries: DefaultMaxRetries},
		"bad URL":              {cfg: Config{BaseURL: "ftp://x/v1"}, setting: "base_url"},
		"key with a newline":   {cfg: Config{API: APIHosted, APIKey: NewSecret(unitKey + "\n")}, setting: "api_key"},
		"short key":            {cfg: Config{API: APIHosted, APIKey: NewSecret(unitKey[:60])}, setting: "api_key"},
		"legacy key, server":   {cfg: Config{BaseURL: "http://h/api/v1", APIKey: NewSecret("pk_live_abc")}, setting: "api_key"},
		"legacy key, detected": {cfg: Config{APIKey: NewSecret("pk_live_abc")}, wantAPI: APIHosted, wantURL: DefaultBaseURL, wantRetries: DefaultMaxRetries},
		"negative timeout":     {cfg: Config{RequestTimeout: -1}, setting: "request_timeout"},
		"negative wait":        {cfg: Config{RetryWaitMax: -1}, setting: "retry_wait_max"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tc.cfg)
			if tc.setting != "" {
				var ce *ConfigError
				if !errors.As(err, &ce) || ce.Setting != tc.setting {
					t.Fatalf("err = %v, want a *ConfigError for %q", err, tc.setting)
				}
				if strings.Contains(err.Error(), unitKey[12:60]) {
					t.Errorf("the error quotes the key: %s", testsecrets.Hide(err.Error(), unitKey))
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			// No context is needed: nothing here detects.
			ep := c.endpointSnapshot()
			got := struct {
				API     API
				URL     string
				Retries int
			}{ep.API, ep.BaseURL, c.maxRetries}
			want := struct {
				API     API
				URL     string
				Retries int
			}{tc.wantAPI, tc.wantURL, tc.wantRetries}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("client mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
