package provider_test

import (
	"fmt"
	"os"
	"testing"
)

// TestMain gives the test harness a temporary folder of its own and removes
// it afterwards. terraform-plugin-testing never removes the helper folder it
// makes when a test sets WorkingDir (it swaps its base folder for the given
// one), so without this every run would leave empty plugintest* folders in
// the system's temporary folder.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv("TF_ACC_TEMP_DIR") != "" {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "plexmcp-acc-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	_ = os.Setenv("TF_ACC_TEMP_DIR", dir)
	return m.Run()
}
