package capture

import "time"

// Limits bounds every table the decoder keeps, so that memory depends on
// what is live in a capture, never on its length or on what a hostile file
// claims. What a limit refuses or evicts is counted in [Stats].
type Limits struct {
	// MaxFragSets is the number of IP datagrams being reassembled at once.
	// 4096 is Linux's default ipfrag high threshold (4 MiB) divided by a
	// 1 KiB typical fragment.
	MaxFragSets int
	// MaxFragsPerSet bounds the fragments of one datagram: 65535 bytes in
	// 8-byte units could be 8192 fragments; real SIP uses 2 to 12.
	MaxFragsPerSet int
	// FragTimeout drops an incomplete datagram this long (capture time)
	// after its first fragment: Linux's ipfrag_time is 30 s.
	FragTimeout time.Duration
	// MaxTCPStreams is the number of TCP directions tracked at once.
	MaxTCPStreams int
	// MaxStreamBuffer bounds the unframed bytes held for one TCP direction:
	// one SIP message up to MaxSIPMessage plus out-of-order segments.
	MaxStreamBuffer int
	// MaxTCPBuffered bounds the bytes held by all TCP streams together.
	MaxTCPBuffered int
	// MaxSIPMessage is the largest SIP message framed over TCP. RFC 3261
	// sets no limit for TCP; 256 KiB is 4 times the largest UDP datagram.
	MaxSIPMessage int
	// TCPIdleTimeout forgets a TCP direction idle this long (capture time).
	TCPIdleTimeout time.Duration
}

// DefaultLimits are sane for captures of a home or office router.
func DefaultLimits() Limits {
	return Limits{
		MaxFragSets:     4096,
		MaxFragsPerSet:  128,
		FragTimeout:     30 * time.Second,
		MaxTCPStreams:   16384,
		MaxStreamBuffer: 512 << 10,
		MaxTCPBuffered:  64 << 20,
		MaxSIPMessage:   256 << 10,
		TCPIdleTimeout:  10 * time.Minute,
	}
}

// WithDefaults returns l with each zero (or negative) field set to its
// default, so that a caller can raise one limit and keep the others.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	for _, f := range []struct{ v, def *int }{
		{&l.MaxFragSets, &d.MaxFragSets}, {&l.MaxFragsPerSet, &d.MaxFragsPerSet}, {&l.MaxTCPStreams, &d.MaxTCPStreams},
		{&l.MaxStreamBuffer, &d.MaxStreamBuffer}, {&l.MaxTCPBuffered, &d.MaxTCPBuffered}, {&l.MaxSIPMessage, &d.MaxSIPMessage},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	if l.FragTimeout <= 0 {
		l.FragTimeout = d.FragTimeout
	}
	if l.TCPIdleTimeout <= 0 {
		l.TCPIdleTimeout = d.TCPIdleTimeout
	}
	return l
}
