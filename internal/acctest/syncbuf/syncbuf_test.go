package syncbuf

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestBufferConcurrentWrites(t *testing.T) {
	t.Parallel()
	var b Buffer
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			for range 50 {
				fmt.Fprintf(&b, "%02d\n", i)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := strings.Count(b.String(), "\n"); got != 1000 {
		t.Errorf("%d lines, want 1000", got)
	}
	if b.Len() != 3000 {
		t.Errorf("Len() = %d, want 3000", b.Len())
	}
}
