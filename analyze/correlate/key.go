package correlate

import (
	"encoding/binary"
	"strconv"

	"github.com/sipalg/sipalg/analyze/inventory"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// Kind is the kind of traffic a packet or a mapping carries.
type Kind uint8

// Kinds of traffic, in the order a mapping's kind is preferred when it
// carried several.
const (
	KindOther Kind = iota
	KindSIP
	KindRTP
	KindRTCP
)

// String returns the report name of k.
func (k Kind) String() string {
	switch k {
	case KindSIP:
		return "sip"
	case KindRTP:
		return "rtp"
	case KindRTCP:
		return "rtcp"
	}
	return "other"
}

// MarshalText writes k as its report name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// FNV-1a, then a splitmix64 finaliser so that keys are uniform enough to
// be sampled by value (see sampler).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func mix(h uint64, c byte) uint64 { return (h ^ uint64(c)) * fnvPrime }

func hashBytes(h uint64, b []byte) uint64 {
	for _, c := range b {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}

func finish(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// ipv4End returns the end of a dotted-quad token starting at i, or -1.
func ipv4End(b []byte, i int) int {
	for part := 0; part < 4; part++ {
		j := i
		for j < len(b) && j-i < 3 && isDigit(b[j]) {
			j++
		}
		if j == i {
			return -1
		}
		i = j
		if part < 3 {
			if i >= len(b) || b[i] != '.' {
				return -1
			}
			i++
		}
	}
	if i < len(b) && isDigit(b[i]) {
		return -1
	}
	return i
}

// hashMasked hashes b with every IPv4-address-looking token replaced by
// one placeholder byte: what a blind ALG rewrites does not change the
// hash.
func hashMasked(h uint64, b []byte) uint64 {
	for i := 0; i < len(b); {
		c := b[i]
		if isDigit(c) && (i == 0 || !(isDigit(b[i-1]) || b[i-1] == '.')) {
			if e := ipv4End(b, i); e > 0 {
				h = mix(h, 0)
				i = e
				continue
			}
		}
		h = mix(h, c)
		i++
	}
	return h
}

// udpKey classifies a UDP payload and returns its twin key; n is the
// payload's length on the wire (more than len(b) when the capture's snap
// length cut it); isSIP is whether sipmsg.IsSIP takes it for a SIP
// message (see inventory.UDPSIP).
func udpKey(b []byte, n int, isSIP bool, sip func([]byte) (uint64, bool)) (Kind, uint64) {
	if isSIP {
		if k, ok := sip(b); ok {
			return KindSIP, k
		}
	}
	if inventory.IsRTCP(b) {
		// The first report of the compound packet (SR or RR) only: an
		// ALG that rewrites text could touch an SDES CNAME after it.
		n := (int(b[2])<<8 | int(b[3]) + 1) * 4
		return KindRTCP, finish(hashBytes(mix(fnvOffset, 'C'), b[:n]))
	}
	if inventory.IsRTP(b) {
		// Sequence number, timestamp and SSRC (bytes 2-11) and the length
		// on the wire, in two words. Why (2026-12, issue 15): FNV-1a, one
		// multiply after another over the 14 bytes, was about 0.1 s of
		// the first pass's CPU on the large RTP pair (14.5 million
		// packets); the two products here are independent. The keys
		// stay uniform (finish), but the clock sample of a capture with
		// more than clockSampleMax twins a side is another uniform
		// sample than before: the large pair's offset moved by 0.5 µs
		// (to 0.6 µs from the generator's, from 1.1) and its drift by
		// 0.004 ppm (11.987 against the generator's 12). No fixture
		// changed.
		a := binary.LittleEndian.Uint64(b[2:10])
		c := uint64(binary.LittleEndian.Uint16(b[10:12])) | uint64(n)<<16 | uint64('R')<<56
		return KindRTP, finish(a*0x9e3779b97f4a7c15 ^ c*0xc2b2ae3d27d4eb4f)
	}
	return KindOther, finish(hashBytes(mix(fnvOffset, 'U'), b))
}

// sipKey returns the twin key of a SIP message: fields an ALG does not
// rewrite. Not the Via branch: an ALG that loses a ';' changes it
// (fixtures/semicolon). Call-ID and From tag are hashed with IPv4 tokens
// masked, for ALGs that replace the private address wherever it appears.
func sipKey(b []byte, parse func([]byte) *sipmsg.Message) (uint64, bool) {
	m := parse(b)
	if m.NotSIP {
		return 0, false
	}
	h := mix(hashStart(mix(fnvOffset, 'S'), m), 0)
	if cs, ok := m.CSeq(); ok {
		h = hashBytes(h, m.Bytes(cs.Number))
		h = hashBytes(mix(h, ' '), m.Bytes(cs.Method))
	}
	h = mix(h, 0)
	if id, ok := m.CallID(); ok {
		h = hashMasked(h, m.Bytes(id))
	}
	h = mix(h, 0)
	if f, ok := m.From(); ok {
		if tag, ok := f.Tag(m.Raw); ok {
			h = hashMasked(h, m.Bytes(tag))
		}
	}
	return finish(h), true
}

// parseMemo parses SIP messages into one Message, remembering the last:
// the first pass parses each message for its key and for the inventory,
// once, and keeps neither. Its user clears ok before each packet: a later
// message can sit at the same address, with the same length, in the
// reused read buffer.
type parseMemo struct {
	b  []byte
	m  sipmsg.Message
	ok bool
	// lite parses only as far as a key needs (sipmsg.ParseHeadersInto):
	// when the inventory does not check the messages (Options.
	// NoSIPDiagnostics).
	lite bool
}

func (p *parseMemo) parse(b []byte) *sipmsg.Message {
	if p.ok && len(b) == len(p.b) && len(b) > 0 && &b[0] == &p.b[0] {
		return &p.m
	}
	if p.lite {
		sipmsg.ParseHeadersInto(&p.m, b)
	} else {
		sipmsg.ParseInto(&p.m, b)
	}
	p.b, p.ok = b, true
	return &p.m
}

// sipKeys computes the twin keys of one side's SIP messages in the first
// pass, recording them in order, and hands them back in the second, which
// reads the same messages in the same order and so parses none of them
// for its key (issue 9: a parse and two allocations per SIP message).
type sipKeys struct {
	parse  func([]byte) *sipmsg.Message // first pass: shared with the inventory
	rec    []sipKeyResult
	replay bool // second pass
	// short keys messages by what a snap length leaves of them (see
	// shortSIPKey): the second pass, when a capture was cut.
	short bool
	next  int
}

type sipKeyResult struct {
	key uint64
	ok  bool
}

// maxSIPKeys bounds the keys recorded per side (16 bytes each, 4 MiB);
// the second pass parses the messages past it.
const maxSIPKeys = 1 << 18

func (s *sipKeys) key(b []byte) (uint64, bool) {
	if s.short {
		return shortSIPKey(b)
	}
	if s.replay {
		if s.next < len(s.rec) {
			r := s.rec[s.next]
			s.next++
			return r.key, r.ok
		}
		return sipKey(b, sipmsg.Parse)
	}
	k, ok := sipKey(b, s.parse)
	if len(s.rec) < maxSIPKeys {
		s.rec = append(s.rec, sipKeyResult{k, ok})
	}
	return k, ok
}

// hashStart adds m's method, or its status code, to h.
func hashStart(h uint64, m *sipmsg.Message) uint64 {
	if m.IsRequest {
		return hashBytes(h, m.Bytes(m.Method))
	}
	var s [8]byte
	return hashBytes(mix(h, '/'), strconv.AppendInt(s[:0], int64(m.StatusCode), 10))
}

// shortSIPKey is the twin key of a SIP message when a capture's snap length
// cut messages: the method or status code and the top Via's branch, the
// fields the first 150 bytes or so hold, which the ALGs seen so far leave
// alone. ok is false when the cut took the branch, or part of it: such a
// message cannot be paired.
//
// Why (2026-12, issue 16): a tcpdump -s 200 LAN capture keeps the start
// line and the top Via of each message, never the Call-ID and CSeq that
// sipKey needs; both sides are keyed this way then, the whole one too.
func shortSIPKey(b []byte) (uint64, bool) {
	m := sipmsg.Parse(b)
	if m.NotSIP {
		return 0, false
	}
	vias := m.Vias()
	if len(vias) == 0 {
		return 0, false
	}
	br, ok := vias[0].Branch(m.Raw)
	// The branch must be whole: something follows it in the data.
	if !ok || br.Value.End <= br.Value.Off || br.Value.End >= len(b) {
		return 0, false
	}
	return finish(hashBytes(mix(hashStart(mix(fnvOffset, 's'), m), 0), m.Bytes(br.Value))), true
}
