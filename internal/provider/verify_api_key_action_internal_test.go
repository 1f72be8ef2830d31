package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

// An organisation with no MCPs gives a key granted all_mcps nothing to
// probe. The action must still call PlexMCP with the key, and fail when
// PlexMCP refuses it, rather than call it verified without a single
// request made with it. The fake hosted API below knows the provider's key
// and refuses every other one.
func TestVerifyAPIKeyActionNeedsTheKeyToWorkWithNoMCPs(t *testing.T) {
	t.Parallel()
	const (
		providerKey = "pmcp_01" + "00000000000000000000000000000000000000000000000000000000000000000000000000000001"
		newKey      = "pmcp_01" + "00000000000000000000000000000000000000000000000000000000000000000000000000000002"
		newKeyID    = "key_NoMCPsAtAll000000001"
	)
	var (
		mu          sync.Mutex
		withNewKey  []string // requests made with the key being verified
		unknownPath []string
	)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "ApiKey "+providerKey {
			mu.Lock()
			withNewKey = append(withNewKey, r.Method+" "+r.URL.Path)
			mu.Unlock()
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"success":false,"error":{"code":"unauthorized","message":"Invalid or missing API key"}}`))
			return
		}
		switch r.Method + " " + r.URL.Path {
		case "GET /v1/api-keys/" + newKeyID:
			_, _ = w.Write([]byte(`{"success":true,"data":{"id":"` + newKeyID + `","name":"new","description":"",` +
				`"prefix":"pmcp_0100000","status":"active","permissions":{"mcps":"*"},"expires_at":null,` +
				`"created_at":"2026-01-20T12:01:00Z","last_used":null,"usage":{"total_requests":0,"requests_today":0}}}`))
		case "GET /v1/mcps":
			_, _ = w.Write([]byte(`{"success":true,"data":[],"pagination":{"page":1,"per_page":100,"total":0,"total_pages":0}}`))
		default:
			mu.Lock()
			unknownPath = append(unknownPath, r.Method+" "+r.URL.Path)
			mu.Unlock()
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"success":false,"error":{"code":"not_found","message":"Resource not found"}}`))
		}
	}))
	t.Cleanup(api.Close)

	client, err := plexmcp.New(plexmcp.Config{
		BaseURL: api.URL + "/v1", API: plexmcp.APIHosted, APIKey: plexmcp.NewSecret(providerKey), MaxRetries: new(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	a := &verifyAPIKeyAction{data: &providerData{client: client}}
	ctx := context.Background()
	var schemaResp action.SchemaResponse
	a.Schema(ctx, action.SchemaRequest{}, &schemaResp)
	config := tftypes.NewValue(schemaResp.Schema.Type().TerraformType(ctx), map[string]tftypes.Value{
		"key":     tftypes.NewValue(tftypes.String, newKey),
		"key_id":  tftypes.NewValue(tftypes.String, newKeyID),
		"timeout": tftypes.NewValue(tftypes.String, "1s"),
	})
	var resp action.InvokeResponse
	a.Invoke(ctx, action.InvokeRequest{Config: tfsdk.Config{Schema: schemaResp.Schema, Raw: config}}, &resp)

	mu.Lock()
	defer mu.Unlock()
	if len(unknownPath) > 0 {
		t.Errorf("the action asked the fake API for %v, which it does not serve", unknownPath)
	}
	if len(withNewKey) == 0 {
		t.Error("the action made no request with the key it verifies")
	}
	if !resp.Diagnostics.HasError() {
		t.Fatal("the action called a key that PlexMCP refuses verified")
	}
	var details []string
	for _, d := range resp.Diagnostics {
		details = append(details, d.Summary()+": "+d.Detail())
	}
	got := strings.Join(details, "\n")
	if !strings.Contains(got, "PlexMCP API Key Does Not Work") || !strings.Contains(got, "does not accept the key yet (401)") {
		t.Errorf("the action's error does not say that PlexMCP refused the key:\n%s", got)
	}
	if strings.Contains(got, newKey[12:]) {
		t.Error("the action's error repeats the key")
	}
}
