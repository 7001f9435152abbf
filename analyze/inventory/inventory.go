// Package inventory says what one capture holds: its format, link types,
// interfaces, time span, the flows in it and what each carries (SIP, RTP,
// RTCP, TLS, other), the SIP messages and their parse diagnostics, and every
// warning about what could not be read. It backs the `sipalg flows` command.
package inventory

import (
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strings"

	"github.com/gopacket/gopacket/layers"
	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/flowcache"
	"github.com/sipalg/sipalg/analyze/sdp"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// Kind is what a flow carries.
type Kind string

// Flow kinds.
const (
	KindSIP   Kind = "sip"
	KindRTP   Kind = "rtp"
	KindRTCP  Kind = "rtcp"
	KindTLS   Kind = "tls"
	KindOther Kind = "other"
)

// Flow is one bidirectional transport flow. A is the endpoint that sent the
// first packet seen.
type Flow struct {
	Proto       string
	A, B        netip.AddrPort
	PacketsAB   int
	PacketsBA   int
	BytesAB     int64
	BytesBA     int64
	First, Last int64 // Unix ns
	FirstFrame  int
	Kind        Kind
	SIPMessages int

	rtp, rtcp, tls, payloads int
}

// Summary is what one capture holds.
type Summary struct {
	File       string
	Format     capture.Format
	Compressed bool
	LinkTypes  map[string]int
	Interfaces []capture.Interface
	// Interface names the one interface read ([capture.IfaceFilter.Label]),
	// when the capture holds several and one was selected; empty otherwise.
	Interface             string
	Packets               int
	Bytes                 int64
	First, Last           int64 // Unix ns; 0 when no packet has a timestamp
	SIPMessages           int   // over UDP and TCP
	SIPMessagesUDP        int
	SIPMessagesTCP        int
	SIPFrames             int // frames that carry or complete at least one SIP message (tshark -Y sip counts these)
	SIPMessagesWithErrors int
	Diagnostics           map[string]int
	Flows                 []*Flow
	FlowsNotTracked       int // packets of flows beyond MaxFlows, counted but not tabled
	Stats                 capture.Stats
	Warnings              []string
}

// MaxFlows bounds the flow table: 65536 rows (about 16 MiB with the map
// and the JSON form) is far beyond what a router capture holds; the rest
// are counted.
const MaxFlows = 1 << 16

type flowID struct {
	proto uint8
	lo    netip.AddrPort
	hi    netip.AddrPort
}

// Read scans the capture at path.
func Read(path string, lim capture.Limits) (*Summary, error) {
	return ReadSource(capture.Source{Path: path}, lim)
}

// ReadSource scans the capture of src: with an interface selected, only
// that interface's packets are counted.
func ReadSource(src capture.Source, lim capture.Limits) (*Summary, error) {
	r, err := capture.OpenSource(src)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	s, err := Scan(r, lim)
	if err != nil {
		return nil, err
	}
	s.Interface = src.Iface.Label()
	return s, nil
}

// Scan summarises the capture of r.
func Scan(r *capture.Reader, lim capture.Limits) (*Summary, error) {
	c := NewCounter(r, MaxFlows)
	sc := capture.NewScanner(r, lim)
	for p := sc.Next(); p != nil; p = sc.Next() {
		c.Add(p)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return c.Summary(r, &sc.D.Stats), nil
}

// Counter builds a [Summary] from the packets of a scan as they come, so
// that a pass over the capture made for another purpose (correlate's
// first pass) also gives the inventory: Add each packet, then Summary
// once the scan has ended.
type Counter struct {
	// Parse parses a SIP message; nil means sipmsg.Parse. A pass that
	// parses the same message for another purpose shares it here.
	Parse func([]byte) *sipmsg.Message
	// SIPCountOnly counts SIP messages and frames without parsing them:
	// the Summary's Diagnostics and SIPMessagesWithErrors stay empty. A
	// paired analysis, which parses and checks every message when it
	// matches them, reports neither.
	SIPCountOnly bool
	s            *Summary
	flows        map[flowID]*Flow
	dirs         *flowcache.Table[dirKey, dirFlow] // in front of flows
	byNum        []numbered                        // by flow number (AddNumbered)
	maxFlows     int
	lastSIPFrame int
	sess         sdp.Session // reused for every SDP body checked
}

// NewCounter counts the packets of r, tabling at most maxFlows flows (0
// means MaxFlows).
func NewCounter(r *capture.Reader, maxFlows int) *Counter {
	if maxFlows <= 0 {
		maxFlows = MaxFlows
	}
	return &Counter{
		s: &Summary{
			File:        r.Name(),
			Format:      r.Format(),
			Compressed:  r.Compressed(),
			LinkTypes:   map[string]int{},
			Diagnostics: map[string]int{},
		},
		flows:    make(map[flowID]*Flow),
		dirs:     flowcache.NewTable[dirKey, dirFlow](maxDirs),
		maxFlows: maxFlows,
	}
}

// Add counts one packet of the scan.
func (c *Counter) Add(p *capture.Packet) { c.AddNumbered(p, 0, UDPSIP(p)) }

// UDPSIP reports whether p is a UDP packet whose payload sipmsg.IsSIP
// takes for a SIP message. Correlate's first pass asks once a packet, for
// the inventory, the snap length's count and the twin key alike. A payload
// whose first byte has its top bit set, as RTP's and RTCP's (version 2)
// have, is not asked: a SIP message starts with CR or a token character,
// both ASCII (TestUDPSIPBinary holds IsSIP to that).
//
// Why (2026-12, issue 15): IsSIP, a call, ran twice a packet, 0.26 s of
// the first pass's 7.3 s CPU over 5 runs of the large RTP pair; asked
// once and never for RTP, the first pass alone went from 1.443 s to
// 1.385 s CPU (median of 11 alternated runs).
func UDPSIP(p *capture.Packet) bool {
	b := p.Payload
	return p.Proto == capture.ProtoUDP && len(b) > 0 && b[0] < 0x80 && sipmsg.IsSIP(b)
}

// AddNumbered is Add for a pass that numbers flows: flow is p's flow
// (protocol, source, destination) from 1, each number standing for one
// flow throughout the scan; 0 when not numbered. The Counter remembers the
// row of each numbered flow, so that it finds the row of the flow's later
// packets without a lookup. sip is [UDPSIP] of p: the caller has asked
// already (correlate's first pass asks once for its every use).
func (c *Counter) AddNumbered(p *capture.Packet, flow int32, sip bool) {
	s := c.s
	if p.TS != 0 {
		if s.First == 0 || p.TS < s.First {
			s.First = p.TS
		}
		if p.TS > s.Last {
			s.Last = p.TS
		}
	}
	if p.Proto != capture.ProtoUDP && p.Proto != capture.ProtoTCP {
		return
	}
	f := c.row(p, flow)
	switch p.Proto {
	case capture.ProtoUDP:
		if sip {
			s.SIPMessagesUDP++
			c.countSIP(p.Frame, p.Payload, f)
		}
	case capture.ProtoTCP:
		for _, m := range p.SIP {
			s.SIPMessagesTCP++
			c.countSIP(m.Frame, m.Data, f)
		}
	}
}

func (c *Counter) countSIP(frame int, b []byte, f *Flow) {
	s := c.s
	parse := c.Parse
	if parse == nil {
		parse = sipmsg.Parse
	}
	s.SIPMessages++
	if f != nil {
		f.SIPMessages++
	}
	if frame != c.lastSIPFrame {
		s.SIPFrames++
		c.lastSIPFrame = frame
	}
	if c.SIPCountOnly {
		return
	}
	m := parse(b)
	hasErrors := m.HasErrors()
	for _, d := range m.Diags {
		s.Diagnostics[d.Code]++
	}
	if body, ok := m.SDPBody(); ok {
		sess := &c.sess
		sdp.ParseInto(sess, m.Raw, body)
		hasErrors = hasErrors || sess.HasErrors()
		for _, d := range sess.Diags {
			s.Diagnostics[d.Code]++
		}
	}
	if hasErrors {
		s.SIPMessagesWithErrors++
	}
}

// Summary finishes the count once the scan of r has ended; st is the
// scan's decoder statistics.
func (c *Counter) Summary(r *capture.Reader, st *capture.Stats) *Summary {
	s := c.s
	s.Stats = *st
	s.Packets = st.Frames
	s.Bytes = st.Bytes
	s.Interfaces = r.Interfaces()
	for i := range c.byNum {
		c.byNum[i].fold()
	}
	for lt, n := range st.LinkTypes {
		s.LinkTypes[LinkTypeName(lt)] += n
	}
	for _, f := range c.flows {
		f.Kind = f.kind()
		s.Flows = append(s.Flows, f)
	}
	sort.Slice(s.Flows, func(i, j int) bool {
		a, b := s.Flows[i], s.Flows[j]
		if a.FirstFrame != b.FirstFrame {
			return a.FirstFrame < b.FirstFrame
		}
		if c := a.A.Compare(b.A); c != 0 {
			return c < 0
		}
		return a.B.Compare(b.B) < 0
	})
	s.Warnings = warnings(r, &s.Stats, s, c.maxFlows)
	return s
}

// dirKey is a flow in one direction, dirFlow its row and which way.
type dirKey struct {
	proto    uint8
	src, dst netip.AddrPort
}

type dirFlow struct {
	f  *Flow
	ab bool // src is the row's A
}

// maxDirs bounds the directions the Counter finds by its table (about
// 100 bytes each, twice over at most: 800 KiB); the flows past it are
// found in the map, more slowly. A pass that numbers its flows
// (AddNumbered) looks each up once.
const maxDirs = 1 << 12

// numbered is what a numbered flow's first packet found, its row (nil
// when the table was full: it stays full) and which way, and what the
// flow's later packets add to the row, not yet added (see fold).
//
// Why (2026-12, issue 15): a packet counted in its row touched three
// cache lines of three tables (this one, the row's counts, the row's
// payload kinds), each a miss on the large RTP pair (1,200 rows and
// 2,400 numbered directions a side); counted here, one. A record is
// padded to 64 bytes, so that none straddles two cache lines.
type numbered struct {
	f       *Flow
	packets int
	bytes   int64
	last    int64 // 0: no packet since the first
	// Counts of payloads by kind (payloadKindOf); payloads is folded
	// before it wraps, the others are at most payloads.
	payloads, tls, rtcp, rtp uint32
	ab, known                bool
	_                        [14]byte
}

// count counts p in n (whose row is not nil).
func (n *numbered) count(p *capture.Packet) {
	n.packets += p.Fragments
	n.bytes += int64(len(p.Payload))
	n.last = max(n.last, p.TS)
	k := payloadKindOf(p)
	if k == payloadNone {
		return
	}
	if n.payloads == math.MaxUint32 {
		n.fold()
	}
	n.payloads++
	switch k {
	case payloadTLS:
		n.tls++
	case payloadRTCP:
		n.rtcp++
	case payloadRTP:
		n.rtp++
	}
}

// fold adds to n's row what n counted since the last fold.
func (n *numbered) fold() {
	f := n.f
	if f == nil {
		return
	}
	if n.ab {
		f.PacketsAB += n.packets
		f.BytesAB += n.bytes
	} else {
		f.PacketsBA += n.packets
		f.BytesBA += n.bytes
	}
	f.Last = max(f.Last, n.last)
	f.payloads += int(n.payloads)
	f.tls += int(n.tls)
	f.rtcp += int(n.rtcp)
	f.rtp += int(n.rtp)
	*n = numbered{f: f, ab: n.ab, known: true}
}

// row finds p's row and counts p, in the row or in the flow's numbered
// record; nil when the flow is not tabled.
func (c *Counter) row(p *capture.Packet, flow int32) *Flow {
	if flow <= 0 {
		f := c.lookup(p)
		if f != nil {
			classify(f, p)
		}
		return f
	}
	if int(flow) >= len(c.byNum) {
		c.byNum = append(c.byNum, make([]numbered, int(flow)+1-len(c.byNum))...)
	}
	n := &c.byNum[flow]
	if !n.known {
		f := c.lookup(p)
		if f != nil {
			classify(f, p)
		}
		*n = numbered{f: f, ab: f != nil && p.Src == f.A, known: true}
		return f
	}
	if n.f == nil {
		c.s.FlowsNotTracked++
		return nil
	}
	n.count(p)
	return n.f
}

func (c *Counter) lookup(p *capture.Packet) *Flow {
	dk := dirKey{p.Proto, p.Src, p.Dst}
	h := flowcache.AddrPort(flowcache.AddrPort(flowcache.Seed(uint64(p.Proto)), p.Src), p.Dst)
	d, ok := c.dirs.Get(h, dk)
	if !ok {
		id := flowID{proto: p.Proto, lo: p.Src, hi: p.Dst}
		if p.Src.Compare(p.Dst) > 0 {
			id.lo, id.hi = p.Dst, p.Src
		}
		f := c.flows[id]
		if f == nil {
			if len(c.flows) >= c.maxFlows {
				c.s.FlowsNotTracked++
				return nil
			}
			proto := "udp"
			if p.Proto == capture.ProtoTCP {
				proto = "tcp"
			}
			f = &Flow{Proto: proto, A: p.Src, B: p.Dst, First: p.TS, FirstFrame: p.FirstFrame}
			c.flows[id] = f
		}
		d = dirFlow{f, p.Src == f.A}
		c.dirs.Put(h, dk, d)
	}
	c.count(p, d)
	return d.f
}

// count counts p in its row.
func (c *Counter) count(p *capture.Packet, d dirFlow) {
	f := d.f
	if d.ab {
		f.PacketsAB += p.Fragments
		f.BytesAB += int64(len(p.Payload))
	} else {
		f.PacketsBA += p.Fragments
		f.BytesBA += int64(len(p.Payload))
	}
	if p.TS > f.Last {
		f.Last = p.TS
	}
}

func classify(f *Flow, p *capture.Packet) {
	switch payloadKindOf(p) {
	case payloadNone:
		return
	case payloadTLS:
		f.tls++
	case payloadRTCP:
		f.rtcp++
	case payloadRTP:
		f.rtp++
	}
	f.payloads++
}

// payloadKind is what a packet's payload looks like, for its flow's kind.
type payloadKind uint8

const (
	payloadNone payloadKind = iota // no payload
	payloadOther
	payloadTLS
	payloadRTCP
	payloadRTP
)

func payloadKindOf(p *capture.Packet) payloadKind {
	b := p.Payload
	switch {
	case len(b) == 0:
		return payloadNone
	case isTLSRecord(b):
		return payloadTLS
	case p.Proto == capture.ProtoUDP && IsRTCP(b):
		return payloadRTCP
	case p.Proto == capture.ProtoUDP && IsRTP(b):
		return payloadRTP
	}
	return payloadOther
}

func (f *Flow) kind() Kind {
	switch {
	case f.SIPMessages > 0:
		return KindSIP
	case f.tls > 0 && f.tls*2 >= f.payloads:
		return KindTLS
	case f.Proto == "tcp" && (f.A.Port() == 5061 || f.B.Port() == 5061) && f.payloads > 0:
		return KindTLS
	case f.rtcp > 0 && f.rtcp*2 >= f.payloads:
		return KindRTCP
	case f.rtp > 0 && f.rtp*2 >= f.payloads:
		return KindRTP
	}
	return KindOther
}

// IsRTP reports whether b looks like an RTP packet (RFC 3550 §5.1):
// version 2, a payload type outside the RTCP range, room for the CSRCs.
func IsRTP(b []byte) bool {
	if len(b) < 12 || b[0]>>6 != 2 {
		return false
	}
	pt := b[1] & 0x7f
	if pt >= 72 && pt <= 76 { // would collide with RTCP 200-204 (RFC 5761 §4)
		return false
	}
	cc := int(b[0] & 0x0f)
	return len(b) >= 12+4*cc
}

// IsRTCP reports whether b looks like an RTCP compound packet (RFC 3550
// §6.4): version 2, a packet type 200-207, a length that fits.
func IsRTCP(b []byte) bool {
	if len(b) < 8 || b[0]>>6 != 2 {
		return false
	}
	if b[1] < 200 || b[1] > 207 {
		return false
	}
	n := (int(b[2])<<8 | int(b[3]) + 1) * 4
	return n <= len(b)
}

// isTLSRecord reports whether b starts with a TLS record header (RFC 8446
// §5.1): content type 20-23, legacy version 3.x.
func isTLSRecord(b []byte) bool {
	return len(b) >= 5 && b[0] >= 20 && b[0] <= 23 && b[1] == 3 && b[2] <= 4
}

// LinkTypeName is the name users know a link type by.
func LinkTypeName(lt layers.LinkType) string {
	switch lt {
	case layers.LinkTypeNull:
		return "NULL/Loopback"
	case layers.LinkTypeEthernet:
		return "Ethernet"
	case layers.LinkTypeRaw, 12, 14:
		return "Raw IP"
	case layers.LinkTypeLoop:
		return "OpenBSD loopback"
	case layers.LinkTypeLinuxSLL:
		return "Linux cooked (SLL)"
	case layers.LinkTypeLinuxSLL2:
		return "Linux cooked v2 (SLL2)"
	case layers.LinkTypeIPv4:
		return "Raw IPv4"
	case layers.LinkTypeIPv6:
		return "Raw IPv6"
	}
	if s := lt.String(); s != "" && s[0] != 'U' {
		return fmt.Sprintf("%s (%d)", s, int(lt))
	}
	return fmt.Sprintf("link type %d", int(lt))
}

func warnings(r *capture.Reader, st *capture.Stats, s *Summary, maxFlows int) []string {
	var w []string
	add := func(format string, args ...any) { w = append(w, fmt.Sprintf(format, args...)) }
	if t := r.Truncated(); t != nil {
		add("%s: %s", r.Name(), t)
	}
	w = append(w, r.Notes()...)
	lts := make([]layers.LinkType, 0, len(st.UnsupportedLink))
	for lt := range st.UnsupportedLink {
		lts = append(lts, lt)
	}
	sort.Slice(lts, func(i, j int) bool { return lts[i] < lts[j] })
	for _, lt := range lts {
		add("%d frame(s) of link type %s skipped: sipalg decodes Ethernet, Linux SLL/SLL2, raw IP and BSD loopback", st.UnsupportedLink[lt], LinkTypeName(lt))
	}
	if st.Truncated > 0 {
		snap := 0
		for _, ifc := range r.Interfaces() {
			if ifc.Snaplen > 0 && (snap == 0 || ifc.Snaplen < snap) {
				snap = ifc.Snaplen
			}
		}
		if snap > 0 && snap < 65535 {
			add("%d frame(s) shorter than their headers claim: the capture's snap length is %d bytes, so packets were cut; analysed what they hold", st.Truncated, snap)
		} else {
			add("%d frame(s) shorter than their headers claim (captured with a small snaplen?); analysed what they hold", st.Truncated)
		}
	}
	if st.DecodeErrors+st.DecodePanics > 0 {
		add("%d frame(s) could not be decoded (last: %s)", st.DecodeErrors+st.DecodePanics, st.LastDecodeError)
	}
	if n := st.FragSetsEvicted + st.FragSetsTimedOut + st.FragSetsIncomplete; n > 0 {
		add("%d IP datagram(s) never reassembled: %d incomplete at the end, %d timed out, %d evicted at the %d-set limit", n, st.FragSetsIncomplete, st.FragSetsTimedOut, st.FragSetsEvicted, capture.DefaultLimits().MaxFragSets)
	}
	if st.FragmentsRefused > 0 {
		add("%d IP fragment(s) refused (beyond 65535 bytes or too many per datagram)", st.FragmentsRefused)
	}
	if st.FragmentOverlaps > 0 {
		add("%d overlapping IP fragment(s): the first copy of each byte was kept", st.FragmentOverlaps)
	}
	if st.TCPGaps > 0 || st.TCPBytesDropped > 0 {
		add("TCP: %d gap(s) in streams, %d byte(s) dropped unframed", st.TCPGaps, st.TCPBytesDropped)
	}
	if st.TCPStreamsEvicted > 0 {
		add("TCP: %d stream(s) evicted at the stream-table limit", st.TCPStreamsEvicted)
	}
	if st.TCPIncompleteMessages > 0 {
		add("TCP: %d SIP message(s) incomplete at the end of the capture", st.TCPIncompleteMessages)
	}
	if st.SIPTooLarge > 0 {
		add("TCP: %d SIP message(s) over the size limit dropped", st.SIPTooLarge)
	}
	if st.TCPUnframeable > 0 {
		add("TCP: %d SIP message(s) without a usable Content-Length, framed at the end of the data", st.TCPUnframeable)
	}
	if s.FlowsNotTracked > 0 {
		add("%d packet(s) belong to flows beyond the %d-flow table; counted, not listed", s.FlowsNotTracked, maxFlows)
	}
	tls := 0
	for _, f := range s.Flows {
		if f.Kind == KindTLS {
			tls++
		}
	}
	if tls > 0 {
		add("%d flow(s) carry TLS (SIP over TLS, port 5061): encrypted, not analysable", tls)
	}
	for kind, n := range r.SkippedBlocks() {
		if strings.HasPrefix(kind, "unknown") {
			add("%d pcapng block(s) of %s skipped", n, kind)
		}
	}
	return w
}
