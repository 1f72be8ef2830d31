package refserver

import (
	"crypto/sha256"
	"net/http"
	"time"
)

// The hosted API's Idempotency-Key on creates, a reference-server
// extension: the same key and body within 24 hours replays the first
// answer, secret included. Records are per calling key (another key never
// gets a replay, and so never sees the secret) and in memory only.

const (
	idempotencyWindow    = 24 * time.Hour
	maxIdempotencyKeyLen = 255
)

// idemRecord remembers one create made under an Idempotency-Key: a digest
// of the exact body it was made with (a body may be up to 1 MiB, and a
// record lives a day) and, once it committed, the exact answer.
type idemRecord struct {
	body     [sha256.Size]byte
	at       time.Time // server clock when first seen
	inFlight bool
	status   int
	response []byte // includes the secret: the contract replays it
}

type idemOutcome int

const (
	idemNew      idemOutcome = iota // record created; go ahead
	idemReplay                      // answer with rec.response
	idemInFlight                    // 409
	idemMismatch                    // 422
)

// idempotencyKey reads the header. A present but empty, repeated or
// over-long value is a malformed request rather than something to ignore.
func idempotencyKey(r *http.Request) (string, *hostedError) {
	values := r.Header.Values("Idempotency-Key")
	if len(values) == 0 {
		return "", nil
	}
	k := values[0]
	if k == "" || len(values) > 1 || len(k) > maxIdempotencyKeyLen {
		return "", invalidRequest("Idempotency-Key must be one value of 1 to %d characters", maxIdempotencyKeyLen).
			with("Idempotency-Key", "Must be 1 to 255 characters")
	}
	return k, nil
}

// idemRecordKey scopes a record to the key that made the request.
func idemRecordKey(caller *apiKey, key string) string { return caller.id + "\x00" + key }

// beginIdempotentLocked looks up or creates the record for key. The
// caller holds s.mu.
func (s *Server) beginIdempotentLocked(o *org, key string, body []byte) (*idemRecord, idemOutcome) {
	now := s.Now()
	if rec := o.idem[key]; rec != nil && now.Sub(rec.at) < idempotencyWindow {
		switch {
		case rec.inFlight:
			return rec, idemInFlight
		case rec.body != sha256.Sum256(body):
			return rec, idemMismatch
		default:
			return rec, idemReplay
		}
	}
	// Forget what the window has passed, at most once a minute: a sweep
	// per create would make a busy day quadratic.
	if now.Sub(o.idemSwept) >= time.Minute {
		o.idemSwept = now
		for k, rec := range o.idem {
			if !rec.inFlight && now.Sub(rec.at) >= idempotencyWindow {
				delete(o.idem, k)
			}
		}
	}
	rec := &idemRecord{body: sha256.Sum256(body), at: now, inFlight: true}
	o.idem[key] = rec
	return rec, idemNew
}

// abandonIdempotentLocked forgets a record whose request failed, so that a
// corrected retry with the same key is not a mismatch.
func abandonIdempotentLocked(o *org, key string, rec *idemRecord) {
	if o.idem[key] == rec {
		delete(o.idem, key)
	}
}
