package rules

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/sdp"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// Context is what a rule sees: the correlation, the messages and indexes
// over both.
type Context struct {
	Corr     *correlate.Result
	Messages []match.Message
	Dialogs  []match.Dialog

	public map[netip.Addr]bool
	// byLAN indexes mappings by protocol and LAN endpoint, byWAN by
	// protocol and WAN endpoint; each list is in Corr.Mappings order. The
	// rules look mappings up here, never by scanning Corr.Mappings per
	// mapping or message: a hostile capture has 65536 of them (issue 9).
	byLAN map[lanKey][]*correlate.Mapping
	byWAN map[lanKey][]*correlate.Mapping
	// sdps caches parsed SDP bodies per message index and side.
	sdps map[sdpKey]*sdp.Session
	// outChanges lists, per dialog, the changes of its outbound messages,
	// for recognising an inbound restoration; own is ownDialog's list, the
	// batch's own dialog (a map per batch was a fifth of a batch's
	// overhead once batches were handed over after half a second; issue 15).
	outChanges map[int][]*fielddiff.Change
	ownDialog  int
	own        []*fielddiff.Change
	// regs caches registrations(); nil until first asked.
	regs *[]*registration
	// agg is what the capture-wide rules know of every message
	// (Evaluator).
	agg *aggregates
	// mediaCache holds the media section and the calls' media plans; nil
	// until first asked.
	mediaCache *mediaState
	// refused indexes Corr.WANUnreachable by sender and quoted endpoints;
	// nil until first asked.
	refused map[[3]netip.AddrPort]bool
}

type lanKey struct {
	proto string
	lan   netip.AddrPort
}

type sdpKey struct {
	id  int
	wan bool
}

// newContext is the capture-wide context of corr: its mappings indexed,
// no messages yet ([Context.forBatch] gives a dialog's).
func newContext(corr *correlate.Result) *Context {
	c := &Context{
		Corr: corr, public: map[netip.Addr]bool{}, byLAN: map[lanKey][]*correlate.Mapping{}, byWAN: map[lanKey][]*correlate.Mapping{},
		sdps: map[sdpKey]*sdp.Session{}, ownDialog: -1,
	}
	for _, a := range c.Corr.NAT.PublicAddresses {
		c.public[a] = true
	}
	for i := range c.Corr.Mappings {
		mp := &c.Corr.Mappings[i]
		k := lanKey{mp.Proto, mp.LAN}
		c.byLAN[k] = append(c.byLAN[k], mp)
		w := lanKey{mp.Proto, mp.WAN}
		c.byWAN[w] = append(c.byWAN[w], mp)
	}
	return c
}

// IsPublic reports whether a is one of the router's public addresses.
func (c *Context) IsPublic(a netip.Addr) bool { return c.public[a] }

// MappingOf returns the WAN endpoint the NAT bound to a LAN endpoint, with
// the remote it served; several when the NAT maps per destination.
func (c *Context) MappingOf(proto string, lan netip.AddrPort) []*correlate.Mapping {
	return c.byLAN[lanKey{proto, lan}]
}

// outChangesOf returns the changes of the outbound messages of dialog id
// known to c.
func (c *Context) outChangesOf(id int) []*fielddiff.Change {
	if id == c.ownDialog {
		return c.own
	}
	return c.outChanges[id]
}

// SDP returns the parsed SDP body of m on one side, or nil.
func (c *Context) SDP(m *match.Message, wan bool) *sdp.Session {
	p := m.LAN
	if wan {
		p = m.WAN
	}
	if p == nil {
		return nil
	}
	if s := m.LANSDP; !wan && s != nil {
		return s
	}
	if s := m.WANSDP; wan && s != nil {
		return s
	}
	if m.SDPParsed() {
		return nil // Prepare found no SDP body
	}
	k := sdpKey{m.ID, wan}
	if s, ok := c.sdps[k]; ok {
		return s
	}
	var s *sdp.Session
	if body, ok := p.SDPBody(); ok {
		s = sdp.Parse(p.Raw, body)
	}
	if c.sdps == nil {
		c.sdps = map[sdpKey]*sdp.Session{}
	}
	c.sdps[k] = s
	return s
}

// entered and left return the message as it entered and as it left the
// router.
func entered(m *match.Message) *sipmsg.Message {
	if m.Direction == "inbound" {
		return m.WAN
	}
	return m.LAN
}

func left(m *match.Message) *sipmsg.Message {
	if m.Direction == "inbound" {
		return m.LAN
	}
	return m.WAN
}

// fieldPath splits "Contact[1].uri.host" into "Contact", 1 and
// "uri.host"; the index is -1 when the path has none.
func fieldPath(f string) (head string, idx int, rest string) {
	// A byte loop, not strings.IndexAny: every rule's claim splits the
	// path of every change (issue 15).
	end := -1
	for i := 0; i < len(f); i++ {
		if f[i] == '[' || f[i] == '.' {
			end = i
			break
		}
	}
	if end < 0 {
		return f, -1, ""
	}
	head, idx = f[:end], -1
	f = f[end:]
	if f[0] == '[' {
		if j := strings.IndexByte(f, ']'); j > 0 {
			if n, err := strconv.Atoi(f[1:j]); err == nil {
				idx = n
			}
			f = f[j+1:]
		}
	}
	return head, idx, strings.TrimPrefix(f, ".")
}

// splitHostPort splits "host:port", "[v6]:port", "host" or "[v6]"; port is
// -1 when absent and -2 when not a number (it may exceed 65535: that is
// evidence, not an error).
func splitHostPort(s string) (host string, port int) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		j := strings.IndexByte(s, ']')
		if j < 0 {
			return s, -1
		}
		host, s = s[1:j], s[j+1:]
		if !strings.HasPrefix(s, ":") {
			return host, -1
		}
		return host, atoiPort(s[1:])
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && strings.Count(s, ":") == 1 {
		return s[:i], atoiPort(s[i+1:])
	}
	return s, -1
}

func atoiPort(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return -2
	}
	return n
}

// parseAddr parses a host that is an IP literal.
func parseAddr(host string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// defaultPort is the SIP port a URI or sent-by without one means.
func defaultPort(transport string) int {
	if strings.EqualFold(transport, "tls") {
		return 5061
	}
	return 5060
}

// ipLiterals returns the IPv4 and bracketed IPv6 literals in s, in order.
func ipLiterals(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		switch {
		case s[i] == '[':
			j := strings.IndexByte(s[i:], ']')
			if j > 0 {
				if a, err := netip.ParseAddr(s[i+1 : i+j]); err == nil && a.Is6() {
					out = append(out, s[i+1:i+j])
					i += j + 1
					continue
				}
			}
			i++
		case s[i] >= '0' && s[i] <= '9' && (i == 0 || !isWordByte(s[i-1])):
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			lit := strings.TrimRight(s[i:j], ".")
			if a, err := netip.ParseAddr(lit); err == nil && a.Is4() {
				out = append(out, lit)
			}
			i = j
		default:
			i++
		}
	}
	return out
}

func isWordByte(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// addressSwap reports whether after is before with every occurrence of
// one IP literal replaced by another: the mark of a text replacement.
func addressSwap(before, after string) (from, to string, ok bool) {
	if before == after {
		return "", "", false
	}
	for _, a := range uniq(ipLiterals(before)) {
		for _, b := range uniq(ipLiterals(after)) {
			if a != b && strings.ReplaceAll(before, a, b) == after {
				return a, b, true
			}
		}
	}
	return "", "", false
}

func uniq(s []string) []string {
	var out []string
	for _, v := range s {
		dup := false
		for _, w := range out {
			if w == v {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, v)
		}
	}
	return out
}

// isAddressField reports whether a field path names a network address or
// port: what a NAT-aware rewrite is meant to change.
func isAddressField(f string) bool {
	head, _, rest := fieldPath(f)
	switch head {
	case "Request-URI":
		return true
	case "Via":
		return rest == "sent-by" || rest == "received" || rest == "rport" || rest == "maddr"
	case "sdp":
		return rest == "" || strings.HasPrefix(rest, "c") || strings.HasPrefix(rest, "o") ||
			strings.HasSuffix(rest, ".port") || strings.HasSuffix(rest, ".c") || strings.Contains(rest, "a[rtcp]") ||
			strings.Contains(rest, "a[candidate") ||
			f == "sdp.c" || f == "sdp.o"
	}
	return rest == "uri.host" || rest == "uri.port" || rest == "uri.maddr"
}

func intp(v int) *int { return &v }

// fmtEndpoint writes an endpoint for an explanation.
func fmtEndpoint(host string, port int) string {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port < 0 {
		return host
	}
	return host + ":" + strconv.Itoa(port)
}
