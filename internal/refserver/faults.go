package refserver

// fault is what fault injection decided for one request.
type fault int

const (
	noFault fault = iota
	// faultUnavailable answers 503 before doing anything.
	faultUnavailable
	// faultDropAfterCommit lets a create commit (with its idempotency
	// record) and then drops the connection without an answer: the case
	// where a client cannot know whether its request took effect.
	faultDropAfterCommit
)

// pickFault draws from the seeded RNG. Half of the failing creates become
// dropped connections; every other failure is a 503.
func (s *Server) pickFault(isCreate bool) fault {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if s.failRate <= 0 || s.rng.Float64() >= s.failRate {
		return noFault
	}
	if isCreate && s.rng.IntN(2) == 0 {
		return faultDropAfterCommit
	}
	return faultUnavailable
}
