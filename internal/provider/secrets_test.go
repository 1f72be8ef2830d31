package provider_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// secretsConfig is providerHCL (the terraform and provider blocks) and
// three keys; the second step renames one in place and replaces another by
// changing its rotation trigger.
func secretsConfig(providerHCL, renamed, generation string) string {
	return providerHCL + fmt.Sprintf(`
resource "plexmcp_api_key" "stable" {
  name     = "stable"
  all_mcps = true
}

resource "plexmcp_api_key" "renamed" {
  name     = %[1]q
  all_mcps = true
}

resource "plexmcp_api_key" "replaced" {
  name              = "replaced"
  all_mcps          = true
  rotation_triggers = { generation = %[2]q }
}
`, renamed, generation)
}

// TestAccProvider_noSecretInLogs runs create, update in place, replacement,
// refresh and destroy with every log at TRACE, and proves that no secret (a
// key the provider created, or the provider's own management key) reaches
// Terraform's log, the provider's log, the server's access log or the
// output of terraform show. The management key comes from PLEXMCP_API_KEY,
// as the documentation recommends, or from api_key in the configuration.
//
// The provider under test runs in this process: terraform-plugin-testing
// gives each provider server a terraform-plugin-log sink (see
// tfsdklog.ContextWithTestLogging) that honours TF_LOG for the level and
// TF_ACC_LOG_PATH (over TF_LOG_PATH) for the file, while the terraform
// binary gets TF_LOG_PATH from TF_ACC_LOG_PATH through terraform-exec. So
// TF_ACC_LOG_PATH puts both logs in one file; the checks below tell their
// lines apart to prove each is there.
//
// It sets environment variables, so it must not run in parallel.
func TestAccProvider_noSecretInLogs(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		t.Run("key from the environment", func(t *testing.T) {
			testNoSecretInLogs(t, api, acctest.ProviderConfig)
		})
		t.Run("key in the configuration", func(t *testing.T) {
			// The harness writes each step's configuration to its own TRACE
			// log, so with the key in the configuration it would find it
			// there. That logger is test tooling, not something a user runs:
			// it is silenced, and Terraform's and the provider's stay at TRACE.
			t.Setenv("TF_LOG_SDK_HELPER_RESOURCE", "OFF")
			testNoSecretInLogs(t, api, func(srv *refserver.Running) string {
				return acctest.ProviderConfigWithKey(srv, srv.AdminKey())
			})
		})
	})
}

func testNoSecretInLogs(t *testing.T, api string, providerConfig func(*refserver.Running) string) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "tf.log")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_LOG_PATH", logPath)
	t.Setenv("TF_ACC_LOG_PATH", logPath)
	workRoot := filepath.Join(dir, "work")
	if err := os.Mkdir(workRoot, 0o700); err != nil {
		t.Fatal(err)
	}
	// In production, whatever provider code writes with the standard
	// library's log package reaches Terraform's log too; here it goes to
	// the same file.
	stdlog, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	prevLog := log.Writer()
	log.SetOutput(stdlog)
	t.Cleanup(func() {
		log.SetOutput(prevLog)
		_ = stdlog.Close()
	})

	var accessLog acctest.SyncBuffer
	srv := acctest.Start(t, refserver.Config{API: api, AccessLog: &accessLog})
	secrets := map[string]*string{"the provider's api_key": new(string)}
	*secrets["the provider's api_key"] = srv.AdminKey()
	capture := func(label, addr string) statecheck.StateCheck {
		secrets[label] = new(string)
		return acctest.CaptureString(addr, "key", secrets[label])
	}
	var shown string

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		WorkingDir:               workRoot,
		CheckDestroy:             checkNoActiveKeys(srv),
		Steps: []resource.TestStep{
			{
				Config: secretsConfig(providerConfig(srv), "before-rename", "1"),
				ConfigStateChecks: []statecheck.StateCheck{
					capture("stable", "plexmcp_api_key.stable"),
					capture("renamed", "plexmcp_api_key.renamed"),
					capture("replaced (first)", "plexmcp_api_key.replaced"),
				},
			},
			{
				Config: secretsConfig(providerConfig(srv), "after-rename", "2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("plexmcp_api_key.stable", plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction("plexmcp_api_key.renamed", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("plexmcp_api_key.replaced", plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					capture("replaced (second)", "plexmcp_api_key.replaced"),
					acctest.StateCheckFunc(func(ctx context.Context, _ *tfjson.State) error {
						out, err := terraformShow(ctx, t, workRoot)
						shown = out
						return err
					}),
				},
			},
		},
	})

	logData, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("reading the log: %v", err)
	}
	tfLog := string(logData)
	// The log must hold what it is checked for, or the test could pass by
	// logging nothing: Terraform's own lines, and the provider's, including
	// one line per API request from the client's subsystem.
	for what, marker := range map[string]*regexp.Regexp{
		"Terraform's own log":                     regexp.MustCompile(`\[INFO\]  (Terraform|OpenTofu) version: `),
		"the provider's log":                      regexp.MustCompile(`\] plexmcp: created PlexMCP API key: `),
		"the client subsystem's create lines":     clientLine("POST", "201"),
		"the client subsystem's refresh lines":    clientLine("GET", "200"),
		"the client subsystem's update lines":     clientLine("PATCH", "200"),
		"the client subsystem's revocation lines": clientLine("DELETE", "20[04]"),
	} {
		if !marker.MatchString(tfLog) {
			t.Errorf("the TRACE log (%d bytes) has no %s (looked for %s)", len(tfLog), what, marker)
		}
	}
	if !strings.Contains(shown, "plexmcp_api_key.replaced") || !strings.Contains(shown, "(sensitive value)") {
		var known []string
		for _, secret := range secrets {
			known = append(known, *secret)
		}
		t.Errorf("terraform show printed no plexmcp_api_key with a hidden key:\n%s", testsecrets.Hide(shown, known...))
	}

	places := map[string]string{
		"the Terraform and provider log": tfLog,
		"the server's access log":        accessLog.String(),
		"terraform show":                 shown,
	}
	checked := 0
	for label, secret := range secrets {
		if len(*secret) <= 12 {
			t.Errorf("%s was not captured", label)
			continue
		}
		checked++
		for where, text := range places {
			if leak := secretLeak(text, *secret); leak != "" {
				t.Errorf("%s (%s…) appears in %s: %s", label, (*secret)[:12], where, leak)
			}
		}
	}
	t.Logf("checked %d secrets against %d bytes of TRACE log, %d bytes of access log and %d bytes of terraform show",
		checked, len(tfLog), accessLog.Len(), len(shown))
}

// clientLine matches the client's log line for one answered request, for
// example "[DEBUG] plexmcp.plexmcp_client: PlexMCP API request: …
// method=POST … status=201". Field order varies.
func clientLine(method, status string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)\] plexmcp\.plexmcp_client: PlexMCP API request: (.* )?(method=` + method +
		` (.* )?status=` + status + `|status=` + status + ` (.* )?method=` + method + `)( |$)`)
}

// secretLeak reports whether text holds secret, or its part after the
// 12-character key_prefix that the API does publish, and where.
func secretLeak(text, secret string) string {
	for _, s := range []string{secret, secret[12:]} {
		if i := strings.Index(text, s); i >= 0 {
			lineStart := strings.LastIndexByte(text[:i], '\n') + 1
			return fmt.Sprintf("at byte %d, in a line starting %q", i, truncate(testsecrets.Hide(text[lineStart:i]), 80))
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// TestAccAPIKeyResource_serverStateHoldsDigestsOnly proves that the
// reference server's state file, which a real deployment backs up and
// copies around, holds digests of the keys Terraform creates and never a
// key itself.
func TestAccAPIKeyResource_serverStateHoldsDigestsOnly(t *testing.T) {
	statePath := filepath.Join(t.TempDir(), "refserver.json")
	srv := acctest.Start(t, refserver.Config{StatePath: statePath})
	var first, second string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		CheckDestroy:             checkNoActiveKeys(srv),
		Steps: []resource.TestStep{{
			Config: acctest.ProviderConfig(srv) + `
resource "plexmcp_api_key" "first" {
  name     = "persisted-first"
  all_mcps = true
}

resource "plexmcp_api_key" "second" {
  name    = "persisted-second"
  mcp_ids = ["mcp_weather"]
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.CaptureString("plexmcp_api_key.first", "key", &first),
				acctest.CaptureString("plexmcp_api_key.second", "key", &second),
				acctest.StateCheckFunc(func(context.Context, *tfjson.State) error {
					data, err := os.ReadFile(statePath)
					if err != nil {
						return err
					}
					text := string(data)
					for _, k := range []string{first, second, srv.AdminKey()} {
						if leak := secretLeak(text, k); leak != "" {
							return fmt.Errorf("the server's state file holds the key %s…: %s", k[:12], leak)
						}
					}
					// The file does describe both keys: by name and digest.
					for _, name := range []string{"persisted-first", "persisted-second"} {
						if !strings.Contains(text, fmt.Sprintf("%q", name)) {
							return fmt.Errorf("the state file does not describe the key named %s", name)
						}
					}
					for _, k := range acctest.ActiveKeys(srv) {
						if !strings.Contains(text, k.Digest) {
							return fmt.Errorf("the state file lacks the digest of %s", k.ID)
						}
					}
					return nil
				}),
			},
		}},
	})
}

// terraformShow runs `terraform show` (human-readable, as a user or a CI log
// would see it) on the state in the harness's working directory under
// workRoot. The harness's own provider server lives only while it runs a
// command, so a second in-process server is started for show to reattach
// to. It is not acctest.CLI, which hides keys in what it returns: this test
// must see the raw output to look for them.
func terraformShow(ctx context.Context, t *testing.T, workRoot string) (string, error) {
	states, err := filepath.Glob(filepath.Join(workRoot, "work*", "terraform.tfstate"))
	if err != nil || len(states) != 1 {
		return "", fmt.Errorf("finding the harness's state under %s: found %v (%v)", workRoot, states, err)
	}
	reattach, stop, err := acctest.ServeForReattach(t)
	if err != nil {
		return "", err
	}
	defer stop()

	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		bin = "terraform"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "show", "-no-color")
	cmd.Dir = filepath.Dir(states[0])
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TF_LOG") && !strings.HasPrefix(kv, "TF_REATTACH_PROVIDERS=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "TF_REATTACH_PROVIDERS="+reattach, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		// The output may hold a key: say only that it failed.
		return "", fmt.Errorf("terraform show failed (%v, %d bytes of output)", err, len(out))
	}
	return string(out), nil
}

// A key refused at plan time is never printed back. Terraform quotes the
// configuration line of an error that names an attribute, value and all, so
// an error on api_key = "<key> " (a key copied with a space) would print
// the key to the terminal and to CI logs. Each refusal below must name what
// is wrong, yet Terraform's output must not hold the key past its public
// prefix. The keys are shaped like real ones but unknown to any server.
func TestAccProvider_refusedKeyIsNotPrinted(t *testing.T) {
	legacy := "pk_live_" + strings.Repeat("Zq7", 14)
	cases := map[string]struct {
		api, key, config, want string
	}{
		"api_key with a trailing space": {api: refserver.APIHosted, key: wellFormedUnknownKey + " ",
			want: "api_key has leading or trailing whitespace"},
		"api_key with a scheme word": {api: refserver.APIHosted, key: "ApiKey " + wellFormedUnknownKey,
			want: `api_key starts with "ApiKey"`},
		"api_key cut short": {api: refserver.APIHosted, key: wellFormedUnknownKey[:80],
			want: "api_key is 80 characters long"},
		"an older key for a PlexMCP server": {api: refserver.APIServer, key: legacy,
			want: "is a pk_live_/pk_test_ key"},
		"a key as a key id": {api: refserver.APIHosted, key: wellFormedUnknownKey,
			config: fmt.Sprintf("data \"plexmcp_api_key\" \"x\" {\n  id = %q\n}\n", wellFormedUnknownKey),
			want:   "id looks like a secret key"},
		"a key as an MCP id": {api: refserver.APIServer, key: wellFormedUnknownKey,
			config: fmt.Sprintf("data \"plexmcp_mcp\" \"x\" {\n  id = %q\n}\n", wellFormedUnknownKey),
			want:   "id looks like a secret API key, not an MCP id"},
		"a key among mcp_ids": {api: refserver.APIHosted, key: wellFormedUnknownKey,
			config: fmt.Sprintf("resource \"plexmcp_api_key\" \"x\" {\n  name = \"x\"\n  mcp_ids = [\"mcp_weather\", %q]\n}\n", wellFormedUnknownKey),
			want:   "An element of mcp_ids looks like a secret API key"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := acctest.StartAPI(t, tc.api)
			config := acctest.ProviderConfigWithKey(srv, tc.key) + oneKey
			if tc.config != "" {
				config = acctest.ProviderConfig(srv) + tc.config
			}
			var printed string
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.Factories(),
				// ExpectError can only say what the output holds; this
				// keeps the output to say what it must not hold.
				ErrorCheck: func(err error) error {
					printed = err.Error()
					return nil
				},
				Steps: []resource.TestStep{{Config: config}},
			})
			secret := strings.TrimSpace(strings.TrimPrefix(tc.key, "ApiKey "))
			switch {
			case printed == "":
				t.Fatal("the configuration was not refused")
			case !strings.Contains(strings.Join(strings.Fields(printed), " "), tc.want):
				t.Errorf("the refusal does not say %q:\n%s", tc.want, testsecrets.Hide(printed, secret))
			}
			if leak := secretLeak(printed, secret); leak != "" {
				t.Errorf("Terraform's output holds the refused key: %s", leak)
			}
			if counts := srv.RequestCounts(); len(counts) != 0 {
				t.Errorf("the refused key reached the server: %v", counts)
			}
		})
	}
}
