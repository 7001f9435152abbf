// Package benchgen writes large paired LAN/WAN captures of one NAT router
// for benchmarks and memory checks: many phones registering every minute
// and each placing one call with two-way G.711 RTP (20 ms packets) and
// RTCP, through a router whose SIP ALG rewrites correctly, with the WAN
// capture's clock offset (and drifting) from the LAN one.
//
// The captures stream: memory does not depend on their length (a 1.6 GB
// pair is written from a few hundred kilobytes of state), and the output
// is deterministic (fixed seeds, a fixed start time, no wall-clock time).
//
// The traffic, per phone i of Config.Phones:
//
//   - REGISTER, 401 with a digest challenge, REGISTER with credentials,
//     200; then REGISTER and 200 every Config.Register while its call lasts;
//   - one call two seconds after the first registration: INVITE with SDP,
//     100, 180, 200 with SDP, ACK, then Config.Call of media both ways, then
//     BYE and 200;
//   - RTCP sender reports every Config.RTCP in each direction.
//
// Phones start 25 ms apart. The router maps each phone's endpoints to one
// public address (endpoint-independent, ports not preserved) and its ALG
// rewrites Via, Contact, SDP c=/o=/m= and Content-Length outbound and
// restores them inbound; Call-IDs carry no address and are left alone.
package benchgen

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Format is the capture file format written.
type Format string

// Formats benchgen writes.
const (
	Pcap   Format = "pcap"   // little-endian, microsecond timestamps
	PcapNG Format = "pcapng" // one section, one Ethernet interface, microsecond timestamps
)

// StartTime is the first packet's time on the LAN clock.
var StartTime = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// Config describes the traffic.
type Config struct {
	Phones   int           // phones behind the router, one call each
	Call     time.Duration // media duration of each call
	Register time.Duration // registration refresh interval
	RTCP     time.Duration // RTCP report interval per direction
	// Offset is the WAN capture clock minus the LAN one at StartTime;
	// DriftPPM makes the WAN clock gain that many microseconds a second.
	Offset   time.Duration
	DriftPPM float64
	Format   Format
	Seed     uint64
}

// Default is the large benchmark: 400 calls of 180 s, about 7.2 million
// packets and 1.6 GB per side.
func Default() Config {
	return Config{
		Phones: 400, Call: 180 * time.Second, Register: 60 * time.Second, RTCP: 5 * time.Second,
		Offset: -2*time.Hour + 17*time.Second + 250*time.Millisecond, DriftPPM: 12,
		Format: Pcap, Seed: 1,
	}
}

// Counts is what [Write] wrote.
type Counts struct {
	Packets     int // per side (both sides carry every packet)
	SIPMessages int // per side
	LANBytes    int64
	WANBytes    int64
}

// Addresses of the emulated network.
var (
	serverSIP   = netip.MustParseAddrPort("203.0.113.10:5060")
	mediaServer = netip.MustParseAddr("203.0.113.20")
	publicAddr  = netip.MustParseAddr("198.51.100.7")
)

// Ports.
const (
	phoneSIPPort  = 5060
	phoneRTPPort  = 4000
	publicSIPBase = 10000 // public SIP port of phone i: publicSIPBase+i
	publicRTPBase = 30000 // public RTP port of phone i: publicRTPBase+2i (RTCP +1)
	serverRTPBase = 20000 // media server port of phone i's call: serverRTPBase+2i
	rtpInterval   = 20 * time.Millisecond
	rtpPayloadLen = 160 // G.711, 8 kHz, 20 ms
	phoneStagger  = 25 * time.Millisecond
	// routerLatency is the forwarding delay: base plus up to jitter.
	routerLatency = 150 * time.Microsecond
	latencyJitter = 100 * time.Microsecond
)

// Write streams the LAN and WAN captures of cfg to lan and wan.
func Write(cfg Config, lan, wan io.Writer) (Counts, error) {
	if cfg.Phones <= 0 || cfg.Phones > 20000 {
		return Counts{}, fmt.Errorf("benchgen: %d phones (1 to 20000)", cfg.Phones)
	}
	if cfg.Call < time.Second || cfg.Register < time.Second || cfg.RTCP < 100*time.Millisecond {
		return Counts{}, errors.New("benchgen: call, register and RTCP intervals must be at least 1 s, 1 s and 100 ms")
	}
	if cfg.Format == "" {
		cfg.Format = Pcap
	}
	if cfg.Format != Pcap && cfg.Format != PcapNG {
		return Counts{}, fmt.Errorf("benchgen: format %q (pcap or pcapng)", cfg.Format)
	}
	g := &gen{cfg: cfg, rng: cfg.Seed*0x9e3779b97f4a7c15 + 1}
	g.lan = newSink(lan, cfg.Format, "lan0", 0, 0)
	g.wan = newSink(wan, cfg.Format, "wan0", cfg.Offset, cfg.DriftPPM)
	for i := 0; i < cfg.Phones; i++ {
		g.startPhone(i)
	}
	for g.q.Len() > 0 {
		p := heap.Pop(&g.q).(*proc)
		g.lan.flush(p.at)
		g.wan.flush(p.at)
		if p.step(g, p) {
			heap.Push(&g.q, p)
		}
	}
	g.lan.flush(1<<63 - 1)
	g.wan.flush(1<<63 - 1)
	if err := errors.Join(g.lan.close(), g.wan.close()); err != nil {
		return Counts{}, err
	}
	return Counts{Packets: g.packets, SIPMessages: g.sip, LANBytes: g.lan.n, WANBytes: g.wan.n}, nil
}

// gen is the generator state: one process per phone activity in a queue
// ordered by the time of its next packet.
type gen struct {
	cfg      Config
	rng      uint64
	q        procQueue
	seq      uint64
	lan, wan *sink
	frame    []byte
	payload  []byte
	packets  int
	sip      int
}

func (g *gen) rand() uint64 {
	g.rng ^= g.rng << 13
	g.rng ^= g.rng >> 7
	g.rng ^= g.rng << 17
	return g.rng
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rand()>>60]
	}
	return string(b)
}

// proc is one activity of one phone: its signalling, or one direction of
// its RTP or RTCP.
type proc struct {
	at    int64 // next packet, LAN clock, Unix ns
	order uint64
	ph    *phone
	step  func(*gen, *proc) bool // emits one packet, advances at; false when done
	idx   int
	n     int
	in    bool // RTP/RTCP direction: from the media server
}

type procQueue []*proc

func (q procQueue) Len() int { return len(q) }
func (q procQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].order < q[j].order
}
func (q procQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *procQueue) Push(x any)   { *q = append(*q, x.(*proc)) }
func (q *procQueue) Pop() any {
	old := *q
	p := old[len(old)-1]
	*q = old[:len(old)-1]
	return p
}

func (g *gen) push(p *proc) {
	g.seq++
	p.order = g.seq
	heap.Push(&g.q, p)
}

// phone is one phone's identity and call state.
type phone struct {
	i                  int
	lanIP              netip.Addr
	callStart, callEnd int64 // media
	regTag             string
	regCall            string
	regCSeq            int
	// pending SIP packets of the current exchange, in time order.
	sig     []sipPacket
	out, in rtpStream
}

type sipPacket struct {
	at      int64
	inbound bool
	tmpl    *template
}

type rtpStream struct {
	ssrc uint32
	seq  uint16
	ts   uint32
	sent int
}

func (g *gen) startPhone(i int) {
	ph := &phone{
		i:     i,
		lanIP: netip.AddrFrom4([4]byte{192, 168, byte(1 + i/200), byte(10 + i%200)}),
	}
	t0 := StartTime.UnixNano() + int64(i)*int64(phoneStagger)
	ph.regTag, ph.regCall = g.hex(8), g.hex(16)+"@reg"
	ph.callStart = t0 + int64(2*time.Second) + int64(1500*time.Millisecond)
	ph.callEnd = ph.callStart + int64(g.cfg.Call)
	ph.out = rtpStream{ssrc: uint32(g.rand()), seq: uint16(g.rand()), ts: uint32(g.rand())}
	ph.in = rtpStream{ssrc: uint32(g.rand()), seq: uint16(g.rand()), ts: uint32(g.rand())}
	g.register(ph, t0, true)
	g.call(ph, t0+int64(2*time.Second))
	g.push(&proc{at: ph.sig[0].at, ph: ph, step: stepSignal})
	g.push(&proc{at: ph.callStart, ph: ph, step: stepRTP})
	g.push(&proc{at: ph.callStart + int64(7*time.Millisecond), ph: ph, step: stepRTP, in: true})
	g.push(&proc{at: ph.callStart + int64(g.cfg.RTCP) + int64(3*time.Millisecond), ph: ph, step: stepRTCP})
	g.push(&proc{at: ph.callStart + int64(g.cfg.RTCP) + int64(11*time.Millisecond), ph: ph, step: stepRTCP, in: true})
	// Registration refreshes while the call lasts.
	for t := t0 + int64(g.cfg.Register); t < ph.callEnd; t += int64(g.cfg.Register) {
		g.register(ph, t, false)
	}
	sortSig(ph.sig)
}

func sortSig(s []sipPacket) {
	// Insertion sort: a phone has a few dozen packets, mostly in order.
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].at < s[j-1].at; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func stepSignal(g *gen, p *proc) bool {
	ph := p.ph
	sp := ph.sig[p.idx]
	src, dst := netip.AddrPortFrom(ph.lanIP, phoneSIPPort), serverSIP
	if sp.inbound {
		src, dst = dst, src
	}
	g.emit(ph, p.at, sp.inbound, src, dst, sp.tmpl.render(ph, false), sp.tmpl.render(ph, true), 0x60)
	g.sip++
	sp.tmpl = nil
	p.idx++
	if p.idx >= len(ph.sig) {
		ph.sig = nil
		return false
	}
	p.at = ph.sig[p.idx].at
	return true
}

func stepRTP(g *gen, p *proc) bool {
	ph := p.ph
	st := &ph.out
	if p.in {
		st = &ph.in
	}
	b := g.payload[:0]
	b = append(b, 0x80, 0)
	if p.n == 0 {
		b[1] = 0x80 // marker on the first packet, PT 0 (PCMU)
	}
	b = binary.BigEndian.AppendUint16(b, st.seq)
	b = binary.BigEndian.AppendUint32(b, st.ts)
	b = binary.BigEndian.AppendUint32(b, st.ssrc)
	for len(b) < 12+rtpPayloadLen {
		r := g.rand()
		for k := 0; k < 8 && len(b) < 12+rtpPayloadLen; k++ {
			b = append(b, 0xfc|byte(r>>(8*k))&3) // µ-law near silence
		}
	}
	g.payload = b
	st.seq++
	st.ts += rtpPayloadLen
	st.sent++
	phoneEP := netip.AddrPortFrom(ph.lanIP, phoneRTPPort)
	serverEP := netip.AddrPortFrom(mediaServer, uint16(serverRTPBase+2*ph.i))
	if p.in {
		g.emit(ph, p.at, true, serverEP, phoneEP, b, b, 0xb8)
	} else {
		g.emit(ph, p.at, false, phoneEP, serverEP, b, b, 0xb8)
	}
	p.n++
	base := ph.callStart
	if p.in {
		base += int64(7 * time.Millisecond)
	}
	next := base + int64(p.n)*int64(rtpInterval)
	if p.in {
		next += int64(g.rand() % uint64(900*time.Microsecond))
	}
	if next >= ph.callEnd+int64(10*time.Millisecond) {
		return false
	}
	p.at = next
	return true
}

func stepRTCP(g *gen, p *proc) bool {
	ph := p.ph
	st := &ph.out
	cname := "phone" + strconv.Itoa(ph.i) + "@lan"
	if p.in {
		st = &ph.in
		cname = "media@" + mediaServer.String()
	}
	b := g.payload[:0]
	b = append(b, 0x80, 200, 0, 6)
	b = binary.BigEndian.AppendUint32(b, st.ssrc)
	const ntpEpoch = 2208988800
	sec := uint64(p.at/1e9 + ntpEpoch)
	frac := uint64(p.at%1e9) << 32 / 1e9
	b = binary.BigEndian.AppendUint64(b, sec<<32|frac)
	b = binary.BigEndian.AppendUint32(b, st.ts)
	b = binary.BigEndian.AppendUint32(b, uint32(st.sent))
	b = binary.BigEndian.AppendUint32(b, uint32(st.sent*rtpPayloadLen))
	item := 2 + len(cname) + 1
	for (4+item)%4 != 0 {
		item++
	}
	b = append(b, 0x81, 202)
	b = binary.BigEndian.AppendUint16(b, uint16((8+item)/4-1))
	b = binary.BigEndian.AppendUint32(b, st.ssrc)
	b = append(b, 1, byte(len(cname)))
	b = append(b, cname...)
	for k := 2 + len(cname); k < item; k++ {
		b = append(b, 0)
	}
	g.payload = b
	phoneEP := netip.AddrPortFrom(ph.lanIP, phoneRTPPort+1)
	serverEP := netip.AddrPortFrom(mediaServer, uint16(serverRTPBase+2*ph.i+1))
	if p.in {
		g.emit(ph, p.at, true, serverEP, phoneEP, b, b, 0xb8)
	} else {
		g.emit(ph, p.at, false, phoneEP, serverEP, b, b, 0xb8)
	}
	p.at += int64(g.cfg.RTCP)
	return p.at < ph.callEnd
}

// emit writes one packet: at is when it reaches the router (LAN clock);
// the side it leaves on sees it routerLatency later, NATed.
func (g *gen) emit(ph *phone, at int64, inbound bool, src, dst netip.AddrPort, lanPayload, wanPayload []byte, tos uint8) {
	g.packets++
	lat := int64(routerLatency) + int64(g.rand()%uint64(latencyJitter))
	pub := func(ep netip.AddrPort) netip.AddrPort {
		switch ep.Port() {
		case phoneSIPPort:
			return netip.AddrPortFrom(publicAddr, uint16(publicSIPBase+ph.i))
		case phoneRTPPort:
			return netip.AddrPortFrom(publicAddr, uint16(publicRTPBase+2*ph.i))
		default:
			return netip.AddrPortFrom(publicAddr, uint16(publicRTPBase+2*ph.i+1))
		}
	}
	id := uint16(g.rand())
	if inbound {
		wsrc, wdst := src, pub(dst)
		g.wan.add(at, buildFrame(&g.frame, macUpstream, macRouterWAN, wsrc, wdst, 52, id, tos, wanPayload))
		g.lan.add(at+lat, buildFrame(&g.frame, macRouterLAN, phoneMAC(ph.i), src, dst, 51, id, tos, lanPayload))
		return
	}
	g.lan.add(at, buildFrame(&g.frame, phoneMAC(ph.i), macRouterLAN, src, dst, 64, id, tos, lanPayload))
	g.wan.add(at+lat, buildFrame(&g.frame, macRouterWAN, macUpstream, pub(src), dst, 63, id, tos, wanPayload))
}

// template is one SIP message with the phone's addresses left as
// placeholders, rendered once per side: {H} the host, {S} the SIP port,
// {R} the RTP port; Content-Length is computed per side.
type template struct {
	start   string
	headers []string
	body    string
}

func (t *template) render(ph *phone, wan bool) []byte {
	host, sport, rport := ph.lanIP.String(), strconv.Itoa(phoneSIPPort), strconv.Itoa(phoneRTPPort)
	if wan {
		host, sport, rport = publicAddr.String(), strconv.Itoa(publicSIPBase+ph.i), strconv.Itoa(publicRTPBase+2*ph.i)
	}
	r := strings.NewReplacer("{H}", host, "{S}", sport, "{R}", rport)
	body := r.Replace(t.body)
	var b strings.Builder
	b.WriteString(r.Replace(t.start))
	b.WriteString("\r\n")
	for _, h := range t.headers {
		b.WriteString(r.Replace(h))
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return []byte(b.String())
}

const userAgent = "User-Agent: Yealink SIP-T46U 108.86.0.45"

func (g *gen) branch() string { return "z9hG4bK" + g.hex(12) }

// response copies Via, From, To, Call-ID and CSeq from a request.
func response(status string, req *template, toTag string, extra []string, body string) *template {
	var h []string
	for _, l := range req.headers {
		name, _, _ := strings.Cut(l, ":")
		switch name {
		case "Via", "From", "Call-ID", "CSeq":
			h = append(h, l)
		case "To":
			if toTag != "" && !strings.Contains(l, ";tag=") {
				l += ";tag=" + toTag
			}
			h = append(h, l)
		}
	}
	return &template{start: "SIP/2.0 " + status, headers: append(h, extra...), body: body}
}

func (g *gen) register(ph *phone, t int64, challenge bool) {
	srv := serverSIP.Addr().String()
	user := "ext" + strconv.Itoa(1000+ph.i)
	hdr := func(auth bool) *template {
		ph.regCSeq++
		h := []string{
			"Via: SIP/2.0/UDP {H}:{S};branch=" + g.branch() + ";rport",
			"Max-Forwards: 70",
			fmt.Sprintf("From: <sip:%s@%s>;tag=%s", user, srv, ph.regTag),
			fmt.Sprintf("To: <sip:%s@%s>", user, srv),
			"Call-ID: " + ph.regCall,
			fmt.Sprintf("CSeq: %d REGISTER", ph.regCSeq),
			fmt.Sprintf("Contact: <sip:%s@{H}:{S}>;expires=%d", user, int(3*g.cfg.Register/time.Second)),
		}
		if auth {
			h = append(h, fmt.Sprintf(`Authorization: Digest username="%s", realm="%s", nonce="%s", uri="sip:%s", response="%s", algorithm=MD5`,
				user, srv, g.hex(32), srv, g.hex(32)))
		}
		h = append(h, "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, OPTIONS", userAgent)
		return &template{start: "REGISTER sip:" + srv + " SIP/2.0", headers: h}
	}
	ms := int64(time.Millisecond)
	if challenge {
		r1 := hdr(false)
		ph.sig = append(ph.sig, sipPacket{at: t, tmpl: r1})
		ph.sig = append(ph.sig, sipPacket{at: t + 31*ms, inbound: true, tmpl: response("401 Unauthorized", r1, g.hex(10), []string{
			fmt.Sprintf(`WWW-Authenticate: Digest realm="%s", nonce="%s", algorithm=MD5, qop="auth"`, srv, g.hex(32)),
			"Server: example-pbx/2.4"}, "")})
		t += 35 * ms
	}
	r2 := hdr(true)
	ph.sig = append(ph.sig, sipPacket{at: t, tmpl: r2})
	ph.sig = append(ph.sig, sipPacket{at: t + 29*ms, inbound: true, tmpl: response("200 OK", r2, g.hex(10), []string{
		fmt.Sprintf("Contact: <sip:%s@{H}:{S}>;expires=%d", user, int(3*g.cfg.Register/time.Second)), "Server: example-pbx/2.4"}, "")})
}

func sdpBody(user string, sess uint64, addr string, port string) string {
	return strings.Join([]string{
		"v=0",
		fmt.Sprintf("o=%s %d %d IN IP4 %s", user, sess, sess, addr),
		"s=-",
		"c=IN IP4 " + addr,
		"t=0 0",
		"m=audio " + port + " RTP/AVP 0 101",
		"a=rtpmap:0 PCMU/8000",
		"a=rtpmap:101 telephone-event/8000",
		"a=fmtp:101 0-16",
		"a=ptime:20",
		"a=sendrecv",
	}, "\r\n") + "\r\n"
}

// call: INVITE, 100, 180, 200, ACK at t; media from callStart to callEnd;
// then BYE and 200.
func (g *gen) call(ph *phone, t int64) {
	srv := serverSIP.Addr().String()
	user := "ext" + strconv.Itoa(1000+ph.i)
	callID := g.hex(20) + "@pbx.example"
	fromTag, toTag := g.hex(8), g.hex(10)
	callee := "sip:" + strconv.Itoa(5550000+ph.i) + "@" + srv
	from := fmt.Sprintf("From: <sip:%s@%s>;tag=%s", user, srv, fromTag)
	to := "To: <" + callee + ">"
	contact := "Contact: <sip:" + user + "@{H}:{S}>"
	srvContact := "Contact: <sip:" + strconv.Itoa(5550000+ph.i) + "@" + serverSIP.String() + ">"
	via := func() string { return "Via: SIP/2.0/UDP {H}:{S};branch=" + g.branch() + ";rport" }
	ms := int64(time.Millisecond)
	add := func(at int64, in bool, m *template) { ph.sig = append(ph.sig, sipPacket{at: at, inbound: in, tmpl: m}) }

	inv := &template{start: "INVITE " + callee + " SIP/2.0", headers: []string{via(), "Max-Forwards: 70", from, to,
		"Call-ID: " + callID, "CSeq: 1 INVITE", contact, "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, OPTIONS",
		"Supported: replaces, timer", userAgent, "Content-Type: application/sdp"},
		body: sdpBody(user, g.rand()>>33, "{H}", "{R}")}
	add(t, false, inv)
	add(t+22*ms, true, response("100 Trying", inv, "", nil, ""))
	add(t+200*ms, true, response("180 Ringing", inv, toTag, []string{srvContact}, ""))
	answer := sdpBody("pbx", g.rand()>>33, mediaServer.String(), strconv.Itoa(serverRTPBase+2*ph.i))
	add(t+1400*ms, true, response("200 OK", inv, toTag, []string{srvContact, "Content-Type: application/sdp"}, answer))
	add(t+1406*ms, false, &template{start: "ACK sip:" + strconv.Itoa(5550000+ph.i) + "@" + serverSIP.String() + " SIP/2.0",
		headers: []string{via(), "Max-Forwards: 70", from, to + ";tag=" + toTag, "Call-ID: " + callID, "CSeq: 1 ACK", contact, userAgent}})
	end := ph.callEnd + 5*ms
	bye := &template{start: "BYE sip:" + strconv.Itoa(5550000+ph.i) + "@" + serverSIP.String() + " SIP/2.0",
		headers: []string{via(), "Max-Forwards: 70", from, to + ";tag=" + toTag, "Call-ID: " + callID, "CSeq: 2 BYE", userAgent}}
	add(end, false, bye)
	add(end+27*ms, true, response("200 OK", bye, "", nil, ""))
}

// MAC addresses (locally administered).
var (
	macRouterLAN = [6]byte{0x02, 0, 0, 0, 0x01, 0x01}
	macRouterWAN = [6]byte{0x02, 0, 0, 0x71, 0, 0x01}
	macUpstream  = [6]byte{0x02, 0, 0, 0x71, 0, 0xfe}
)

func phoneMAC(i int) [6]byte { return [6]byte{0x02, 0, 0x10, 0, byte(i >> 8), byte(i)} }

// buildFrame writes an Ethernet/IPv4/UDP frame into *buf (reused) with
// lengths and checksums filled in.
func buildFrame(buf *[]byte, smac, dmac [6]byte, src, dst netip.AddrPort, ttl uint8, id uint16, tos uint8, payload []byte) []byte {
	n := 14 + 20 + 8 + len(payload)
	if cap(*buf) < n {
		*buf = make([]byte, n, n+512)
	}
	b := (*buf)[:n]
	copy(b[0:6], dmac[:])
	copy(b[6:12], smac[:])
	b[12], b[13] = 0x08, 0x00
	ip := b[14:34]
	s4, d4 := src.Addr().As4(), dst.Addr().As4()
	ip[0], ip[1] = 0x45, tos
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(payload)))
	binary.BigEndian.PutUint16(ip[4:], id)
	ip[6], ip[7] = 0x40, 0 // don't fragment
	ip[8], ip[9] = ttl, 17
	ip[10], ip[11] = 0, 0
	copy(ip[12:16], s4[:])
	copy(ip[16:20], d4[:])
	binary.BigEndian.PutUint16(ip[10:], ^fold(sum(ip, 0)))
	u := b[34:42]
	binary.BigEndian.PutUint16(u[0:], src.Port())
	binary.BigEndian.PutUint16(u[2:], dst.Port())
	binary.BigEndian.PutUint16(u[4:], uint16(8+len(payload)))
	u[6], u[7] = 0, 0
	copy(b[42:], payload)
	// UDP checksum over the pseudo-header, header and payload.
	s := sum(s4[:], 0)
	s = sum(d4[:], s)
	s += 17 + uint64(8+len(payload))
	s = sum(b[34:], s)
	c := ^fold(s)
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(u[6:], c)
	return b
}

// sum adds b as big-endian 16-bit words to s (RFC 1071).
func sum(b []byte, s uint64) uint64 {
	for len(b) >= 8 {
		s += uint64(binary.BigEndian.Uint16(b)) + uint64(binary.BigEndian.Uint16(b[2:])) +
			uint64(binary.BigEndian.Uint16(b[4:])) + uint64(binary.BigEndian.Uint16(b[6:]))
		b = b[8:]
	}
	for len(b) >= 2 {
		s += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return s
}

func fold(s uint64) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// sink writes one capture, keeping frames that are not yet due in a small
// time-ordered buffer (a packet leaving the router is stamped up to
// routerLatency+latencyJitter after the event that made it).
type sink struct {
	w       *bufio.Writer
	format  Format
	offset  int64
	drift   float64
	pending frameQueue
	free    [][]byte
	seq     uint64
	n       int64
	err     error
	hdr     []byte
}

func newSink(w io.Writer, f Format, ifName string, offset time.Duration, driftPPM float64) *sink {
	s := &sink{w: bufio.NewWriterSize(w, 1<<20), format: f, offset: int64(offset), drift: driftPPM / 1e6}
	if f == PcapNG {
		s.write(pcapngHeader(ifName))
	} else {
		h := make([]byte, 24)
		binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
		binary.LittleEndian.PutUint16(h[4:], 2)
		binary.LittleEndian.PutUint16(h[6:], 4)
		binary.LittleEndian.PutUint32(h[16:], 65535)
		binary.LittleEndian.PutUint32(h[20:], 1) // Ethernet
		s.write(h)
	}
	return s
}

type pendingFrame struct {
	ts   int64
	seq  uint64
	data []byte
}

// frameQueue is a binary min-heap of frames by time, then arrival: typed,
// so that queueing a frame does not box it (container/heap would
// allocate once per frame).
type frameQueue []pendingFrame

func (q frameQueue) less(i, j int) bool {
	if q[i].ts != q[j].ts {
		return q[i].ts < q[j].ts
	}
	return q[i].seq < q[j].seq
}

func (q *frameQueue) push(f pendingFrame) {
	*q = append(*q, f)
	h := *q
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (q *frameQueue) pop() pendingFrame {
	h := *q
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && h.less(l, m) {
			m = l
		}
		if r < n && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}

// add queues a frame stamped ts (LAN clock); data is copied.
func (s *sink) add(ts int64, data []byte) {
	var b []byte
	if n := len(s.free); n > 0 {
		b, s.free = s.free[n-1][:0], s.free[:n-1]
	}
	b = append(b, data...)
	s.seq++
	s.pending.push(pendingFrame{ts: ts, seq: s.seq, data: b})
}

// flush writes every queued frame stamped before now.
func (s *sink) flush(now int64) {
	for len(s.pending) > 0 && s.pending[0].ts < now {
		f := s.pending.pop()
		s.record(f.ts, f.data)
		s.free = append(s.free, f.data)
	}
}

func (s *sink) record(ts int64, data []byte) {
	// The capture's own clock.
	ts += s.offset + int64(s.drift*float64(ts-StartTime.UnixNano()))
	us := ts / 1e3
	if s.format == PcapNG {
		pad := (4 - len(data)%4) % 4
		blen := 28 + len(data) + pad + 4
		h := s.hdr[:0]
		h = binary.LittleEndian.AppendUint32(h, 6) // EPB
		h = binary.LittleEndian.AppendUint32(h, uint32(blen))
		h = binary.LittleEndian.AppendUint32(h, 0) // interface 0
		h = binary.LittleEndian.AppendUint32(h, uint32(uint64(us)>>32))
		h = binary.LittleEndian.AppendUint32(h, uint32(us))
		h = binary.LittleEndian.AppendUint32(h, uint32(len(data)))
		h = binary.LittleEndian.AppendUint32(h, uint32(len(data)))
		s.hdr = h
		s.write(h)
		s.write(data)
		var tail [8]byte
		binary.LittleEndian.PutUint32(tail[pad:], uint32(blen))
		s.write(tail[:pad+4])
		return
	}
	h := s.hdr[:0]
	h = binary.LittleEndian.AppendUint32(h, uint32(us/1e6))
	h = binary.LittleEndian.AppendUint32(h, uint32(us%1e6))
	h = binary.LittleEndian.AppendUint32(h, uint32(len(data)))
	h = binary.LittleEndian.AppendUint32(h, uint32(len(data)))
	s.hdr = h
	s.write(h)
	s.write(data)
}

func (s *sink) write(b []byte) {
	if s.err != nil {
		return
	}
	n, err := s.w.Write(b)
	s.n += int64(n)
	s.err = err
}

func (s *sink) close() error {
	if s.err == nil {
		s.err = s.w.Flush()
	}
	return s.err
}

// pcapngHeader is a Section Header Block and one Ethernet Interface
// Description Block named ifName with microsecond timestamps.
func pcapngHeader(ifName string) []byte {
	var b []byte
	le := binary.LittleEndian
	// SHB: type, length, byte-order magic, version 1.0, section length -1.
	b = le.AppendUint32(b, 0x0a0d0d0a)
	b = le.AppendUint32(b, 28)
	b = le.AppendUint32(b, 0x1a2b3c4d)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint64(b, ^uint64(0))
	b = le.AppendUint32(b, 28)
	// IDB with if_name and the end-of-options marker.
	name := []byte(ifName)
	pad := (4 - len(name)%4) % 4
	blen := 20 + 4 + len(name) + pad + 4
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(b, uint32(blen))
	b = le.AppendUint16(b, 1) // Ethernet
	b = le.AppendUint16(b, 0)
	b = le.AppendUint32(b, 65535)
	b = le.AppendUint16(b, 2) // if_name
	b = le.AppendUint16(b, uint16(len(name)))
	b = append(b, name...)
	b = append(b, make([]byte, pad)...)
	b = le.AppendUint32(b, 0) // opt_endofopt
	b = le.AppendUint32(b, uint32(blen))
	return b
}
