package refserver

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Timeouts of the standalone server. They bound how long a slow or stuck
// client can hold a connection; none is near what a test needs.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 5 * time.Second
	// usageFlushInterval bounds how much usage (last_used_at,
	// request_count) a crash can lose: keys and revocations are written
	// before they are acknowledged, usage at most this long after.
	usageFlushInterval = time.Second
)

// Running is a Server bound to a TCP listener.
type Running struct {
	*Server
	// BaseURL is the management API's base: http://127.0.0.1:41234/v1
	// for the hosted API, http://127.0.0.1:41234/api/v1 for a PlexMCP
	// server.
	BaseURL string
	// Origin is scheme, host and port alone (http://127.0.0.1:41234),
	// where both APIs serve POST /mcp and a PlexMCP server GET /health.
	Origin string

	ln        net.Listener
	http      *http.Server
	closeOnce sync.Once
	closeErr  error

	// fresh holds connections that have not yet carried a request. Clients
	// dial spare connections under load; Shutdown would wait 5 s for each
	// before giving up on it, so Close drops them at once instead.
	connMu sync.Mutex
	fresh  map[net.Conn]bool

	stopFlush chan struct{} // closed by Close; ends flushLoop
	flushDone chan struct{} // closed when flushLoop has returned
}

// Start listens on addr ("" picks a free loopback port) and serves in a
// goroutine. Tests use it as:
//
//	srv, err := refserver.Start("", refserver.Config{})
//	defer srv.Close()
func Start(addr string, cfg Config) (*Running, error) {
	r, err := Listen(addr, cfg)
	if err != nil {
		return nil, err
	}
	go func() { _ = r.Serve() }()
	return r, nil
}

// Listen creates the server and binds addr but serves nothing until Serve
// is called. The command line needs the gap: it must print the address and
// keys before the first request can be answered.
func Listen(addr string, cfg Config) (*Running, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	origin := "http://" + dialableAddr(ln.Addr())
	base := origin + "/v1"
	if s.API() == APIServer {
		base = origin + "/api/v1"
	}
	r := &Running{
		Server:    s,
		BaseURL:   base,
		Origin:    origin,
		ln:        ln,
		fresh:     map[net.Conn]bool{},
		stopFlush: make(chan struct{}),
		flushDone: make(chan struct{}),
	}
	if cfg.StatePath != "" {
		tick := time.NewTicker(usageFlushInterval)
		go func() {
			defer tick.Stop()
			r.flushLoop(tick.C)
		}()
	} else {
		close(r.flushDone)
	}
	r.http = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		// The contract keeps stderr to access-log lines and fatal start-up
		// errors, so net/http's own messages (a failed accept, a
		// superfluous WriteHeader) go nowhere.
		ErrorLog:  log.New(io.Discard, "", 0),
		ConnState: r.trackConn,
	}
	return r, nil
}

func (r *Running) trackConn(c net.Conn, state http.ConnState) {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	if state == http.StateNew {
		r.fresh[c] = true
	} else {
		delete(r.fresh, c)
	}
}

func (r *Running) closeFreshConns() {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	for c := range r.fresh {
		_ = c.Close()
		delete(r.fresh, c)
	}
}

// flushLoop writes usage to the state file at every tick until Close. A
// failed write is retried at the next tick; Close reports the last one.
func (r *Running) flushLoop(tick <-chan time.Time) {
	defer close(r.flushDone)
	for {
		select {
		case <-r.stopFlush:
			return
		case <-tick:
			_ = r.Flush()
		}
	}
}

// Serve answers requests until Close. It returns nil after Close.
func (r *Running) Serve() error {
	if err := r.http.Serve(r.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close stops accepting connections, waits (briefly) for requests in
// flight, and flushes usage to the state file.
func (r *Running) Close() error {
	r.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- r.http.Shutdown(ctx) }()
		var err error
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
	wait:
		for {
			r.closeFreshConns()
			select {
			case err = <-done:
				break wait
			case <-tick.C:
			}
		}
		if err != nil {
			_ = r.http.Close()
		}
		_ = r.ln.Close() // in case Serve never ran
		close(r.stopFlush)
		<-r.flushDone
		r.closeErr = errors.Join(err, r.Flush())
	})
	return r.closeErr
}

// dialableAddr turns a wildcard listen address into one a client can dial.
func dialableAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	host := "127.0.0.1"
	if tcp.IP.To4() == nil {
		host = "::1"
	}
	return net.JoinHostPort(host, strconv.Itoa(tcp.Port))
}
