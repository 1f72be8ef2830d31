// Package syncbuf is the one buffer that the tests of every package write
// logs into while a server's or a harness's goroutines are still writing.
// It is a package of its own, with no imports of the project, so that the
// client's and the reference server's own tests can use it too (acctest
// imports both, so they cannot import acctest).
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer that may be written and read concurrently.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Len is how many bytes were written so far.
func (b *Buffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}
