package plexmcp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// What creates on either API share: the Idempotency-Key, one create per
// name at a time, the keys a client knows as its own, and the server's
// clock as its Date headers tell it.

// settleSlack widens a failed attempt's window on each side: the server
// stores created_at to the second, and the clock skew estimated from Date
// headers is good to about a second.
const settleSlack = 3 * time.Second

// window is one ambiguous attempt, by the client's clock. open says it got
// no answer, so the server may still act on it after to.
type window struct {
	from, to time.Time
	open     bool
}

// newIdempotencyKey returns 128 random bits, hex-encoded.
func newIdempotencyKey() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("plexmcp: generating an idempotency key: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// nameLocks runs creates of one name one at a time, so that settling one
// never mistakes a sibling's fresh key for a stray.
type nameLocks struct {
	mu sync.Mutex
	m  map[string]*nameLock
}

type nameLock struct {
	ch   chan struct{} // holds a token while locked
	refs int
}

// lock takes the lock for name, or gives up when ctx ends.
func (l *nameLocks) lock(ctx context.Context, name string) (func(), error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*nameLock{}
	}
	nl := l.m[name]
	if nl == nil {
		nl = &nameLock{ch: make(chan struct{}, 1)}
		l.m[name] = nl
	}
	nl.refs++
	l.mu.Unlock()
	release := func() {
		l.mu.Lock()
		if nl.refs--; nl.refs == 0 {
			delete(l.m, name)
		}
		l.mu.Unlock()
	}
	select {
	case nl.ch <- struct{}{}:
		return func() { <-nl.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}

// ownKeys are the ids of keys this client (and its copies) created: never
// strays, whatever their name and time.
type ownKeys struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (o *ownKeys) add(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ids == nil {
		o.ids = map[string]bool{}
	}
	o.ids[id] = true
}

func (o *ownKeys) has(id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ids[id]
}

// skewClock estimates how far the server's clock is ahead of the client's,
// from the Date headers of its answers.
type skewClock struct {
	mu sync.Mutex
	d  time.Duration
	n  int
}

// observe folds in one answer's Date, received at local.
func (s *skewClock) observe(date string, local time.Time) {
	if date == "" {
		return
	}
	t, err := http.ParseTime(date)
	if err != nil {
		return
	}
	// Date is truncated to the second: the server's clock read somewhere
	// in the second after it.
	sample := t.Add(500 * time.Millisecond).Sub(local)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		s.d = sample
	} else {
		s.d += (sample - s.d) / 4
	}
	s.n++
}

func (s *skewClock) offset() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.d
}
