package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

// server is a reference server program the demo started.
type server struct {
	cmd     *exec.Cmd
	baseURL string
	apiKey  plexmcp.Secret // the first organisation's bootstrap key
	// done is closed when the process has exited. Its exit status is not
	// kept: the demo stops the server on purpose.
	done chan struct{}
}

// startServer runs the reference server program for api on a free port and
// reads the lines it prints before it accepts connections. Its access log
// (never a key) goes to logPath.
func startServer(ctx context.Context, bin, api, logPath string) (*server, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "-listen", "127.0.0.1:0", "-api", api)
	// Without PLEXMCP_API_KEY in its environment the server makes up a
	// fresh bootstrap key, so a key of the caller's is never reused.
	cmd.Env = filteredEnv(os.Environ())
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		_ = logFile.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w (make demo builds it)", bin, err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	lines := bufio.NewReader(stdout)
	baseURL, apiKey, readErr := readStartLines(lines)
	s.baseURL, s.apiKey = baseURL, plexmcp.NewSecret(apiKey)
	go func() {
		// Keep the pipe drained: the server must never block on stdout.
		_, _ = io.Copy(io.Discard, lines)
		_ = cmd.Wait()
		_ = logFile.Close()
		close(s.done)
	}()
	if readErr != nil {
		s.stop()
		return nil, readErr
	}
	return s, nil
}

// readStartLines reads the reference server's NAME=value start-up lines up
// to the two the demo needs. The error never repeats a line: one holds a
// key.
func readStartLines(r *bufio.Reader) (baseURL, apiKey string, err error) {
	for baseURL == "" || apiKey == "" {
		line, readErr := r.ReadString('\n')
		name, value, _ := strings.Cut(strings.TrimRight(line, "\r\n"), "=")
		switch name {
		case "PLEXMCP_BASE_URL":
			baseURL = value
		case "PLEXMCP_API_KEY":
			apiKey = value
		}
		if readErr != nil {
			break
		}
	}
	if baseURL == "" || apiKey == "" {
		return "", "", errors.New("the reference server did not print PLEXMCP_BASE_URL and PLEXMCP_API_KEY")
	}
	return baseURL, apiKey, nil
}

// stop asks the server to shut down and waits for it, killing it if it
// takes more than a few seconds.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	select {
	case <-s.done:
	case <-timer.C:
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// client is a PlexMCP client of the demo's server with key.
func (s *server) client(key plexmcp.Secret) (*plexmcp.Client, error) {
	return plexmcp.New(plexmcp.Config{BaseURL: s.baseURL, APIKey: key, UserAgent: "plexmcp-demo"})
}
