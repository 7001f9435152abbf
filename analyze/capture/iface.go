package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket/layers"
)

// ErrNoInterface: the interface a user named is not in the capture. The
// error [Interfaces.Select] returns wraps it.
var ErrNoInterface = errors.New("capture: no such interface")

// ifaceError is a selection error whose message lists the interfaces.
type ifaceError struct{ msg string }

func (e *ifaceError) Error() string { return e.msg }
func (e *ifaceError) Unwrap() error { return ErrNoInterface }

// IfaceBy says how an [IfaceFilter] identifies an interface.
type IfaceBy uint8

// Ways to name an interface.
const (
	// AllIfaces keeps every record: the zero value.
	AllIfaces IfaceBy = iota
	// ByIndex is the pcapng interface index (numbered across sections,
	// from 0, as [Record.Iface] and Wireshark's frame.interface_id).
	ByIndex
	// ByName is the pcapng interface name (if_name option): every
	// interface of that name, in any section.
	ByName
	// BySLL2 is the Linux interface index carried in each Linux cooked v2
	// (SLL2) header, as `tcpdump -i any` writes it.
	BySLL2
)

// IfaceFilter keeps the records of one capture interface, so that one file
// holding both sides of a router can be read as two captures. Records it
// drops keep their place in the frame numbering. The zero value keeps
// every record. IfaceFilter is comparable.
type IfaceFilter struct {
	By    IfaceBy
	Name  string // ByName
	Index int    // ByIndex, BySLL2
}

// String names the interface as a user would.
func (f IfaceFilter) String() string {
	switch f.By {
	case ByIndex:
		return "interface " + strconv.Itoa(f.Index)
	case ByName:
		return "interface " + strconv.Quote(f.Name)
	case BySLL2:
		return "SLL2 interface index " + strconv.Itoa(f.Index)
	}
	return "all interfaces"
}

// Label is the interface as a report names it: the pcapng name, the
// pcapng index, or "sll2:" and the Linux interface index; empty for all
// interfaces.
func (f IfaceFilter) Label() string {
	switch f.By {
	case ByIndex:
		return strconv.Itoa(f.Index)
	case ByName:
		return f.Name
	case BySLL2:
		return "sll2:" + strconv.Itoa(f.Index)
	}
	return ""
}

// match reports whether rec belongs to the interface; ifaces are the
// reader's interfaces.
func (f IfaceFilter) match(rec *Record, ifaces []Interface) bool {
	switch f.By {
	case ByIndex:
		return rec.Iface == f.Index
	case ByName:
		return rec.Iface < len(ifaces) && ifaces[rec.Iface].Name == f.Name
	case BySLL2:
		idx, ok := SLL2InterfaceIndex(rec.LinkType, rec.Data)
		return ok && int64(idx) == int64(f.Index)
	}
	return true
}

// sll2HeaderLen is the Linux cooked v2 header: protocol (2), reserved
// (2), interface index (4), ARPHRD type (2), packet type (1), address
// length (1), address (8). https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html
const sll2HeaderLen = 20

// SLL2InterfaceIndex returns the Linux interface index of a Linux cooked
// v2 frame (the ifindex `ip link` shows), and false for other link types
// or a frame too short to hold the header.
func SLL2InterfaceIndex(lt layers.LinkType, data []byte) (uint32, bool) {
	if lt != layers.LinkTypeLinuxSLL2 || len(data) < sll2HeaderLen {
		return 0, false
	}
	return binary.BigEndian.Uint32(data[4:8]), true
}

// IfaceInfo is one interface of a capture and how many packets it holds.
type IfaceInfo struct {
	Filter   IfaceFilter // selects it
	Name     string      // pcapng if_name; empty for pcap and SLL2 indexes
	LinkType layers.LinkType
	Packets  int
}

func (i IfaceInfo) String() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(i.Filter.Index))
	if i.Name != "" {
		b.WriteString(" " + strconv.Quote(i.Name))
	}
	fmt.Fprintf(&b, " (%s, %d packets)", linkName(i.LinkType), i.Packets)
	return b.String()
}

// linkName is a short link-type name for messages.
func linkName(lt layers.LinkType) string {
	switch lt {
	case layers.LinkTypeLinuxSLL2:
		return "SLL2"
	case layers.LinkTypeLinuxSLL:
		return "SLL"
	case layers.LinkTypeEthernet:
		return "Ethernet"
	}
	return "link type " + strconv.Itoa(int(lt))
}

// Interfaces is what [ListInterfaces] found in one capture.
type Interfaces struct {
	File string
	// Declared are the file's interfaces: one per pcapng interface
	// description block, or the one of a pcap file.
	Declared []IfaceInfo
	// SLL2 are the Linux interface indexes found in SLL2 frames, in
	// increasing order.
	SLL2 []IfaceInfo
}

// ListInterfaces reads the capture at path and counts the packets of each
// interface: the declared ones and, in Linux "any" captures, each Linux
// interface index found in SLL2 headers. It reads records only, without
// decoding them.
func ListInterfaces(path string) (*Interfaces, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	declared := map[int]int{}
	sll2 := map[uint32]int{}
	var rec Record
	for {
		err := r.Next(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		declared[rec.Iface]++
		if idx, ok := SLL2InterfaceIndex(rec.LinkType, rec.Data); ok {
			sll2[idx]++
		}
	}
	out := &Interfaces{File: path}
	for i, ifc := range r.Interfaces() {
		out.Declared = append(out.Declared, IfaceInfo{
			Filter: IfaceFilter{By: ByIndex, Index: i}, Name: ifc.Name, LinkType: ifc.LinkType, Packets: declared[i],
		})
	}
	for idx, n := range sll2 {
		out.SLL2 = append(out.SLL2, IfaceInfo{Filter: IfaceFilter{By: BySLL2, Index: int(idx)}, LinkType: layers.LinkTypeLinuxSLL2, Packets: n})
	}
	sort.Slice(out.SLL2, func(i, j int) bool { return out.SLL2[i].Filter.Index < out.SLL2[j].Filter.Index })
	return out, nil
}

// bySLL2 reports whether numbers name SLL2 interface indexes: the file
// declares one interface (pcap, or pcapng written by `tcpdump -i any`)
// and its frames are SLL2.
func (l *Interfaces) bySLL2() bool { return len(l.Declared) <= 1 && len(l.SLL2) > 0 }

// list is the interfaces a user can name, in one line.
func (l *Interfaces) list() string {
	list := l.Declared
	if l.bySLL2() {
		list = l.SLL2
	}
	s := make([]string, len(list))
	for i, ifc := range list {
		s[i] = ifc.String()
	}
	return strings.Join(s, ", ")
}

// Describe lists the interfaces in one line, for error messages.
func (l *Interfaces) Describe() string {
	if l.bySLL2() {
		return "it is a Linux \"any\" capture (SLL2), whose interfaces are known by the Linux interface index in each packet: " + l.list()
	}
	return "its interfaces: " + l.list()
}

// Overlap reports whether two filters keep some of the same records: the
// same interface named twice, by name and by index say.
func (l *Interfaces) Overlap(a, b IfaceFilter) bool {
	if a == b {
		return true
	}
	if a.By == BySLL2 && b.By == BySLL2 {
		return false
	}
	if a.By == BySLL2 || b.By == BySLL2 {
		// An SLL2 index overlaps the declared interface its frames are on.
		other := a
		if a.By == BySLL2 {
			other = b
		}
		for _, i := range l.declared(other) {
			if l.Declared[i].LinkType == layers.LinkTypeLinuxSLL2 {
				return true
			}
		}
		return false
	}
	for _, i := range l.declared(a) {
		for _, j := range l.declared(b) {
			if i == j {
				return true
			}
		}
	}
	return false
}

// declared lists the declared interfaces f keeps.
func (l *Interfaces) declared(f IfaceFilter) []int {
	var out []int
	for i, ifc := range l.Declared {
		if f.By == AllIfaces || (f.By == ByIndex && f.Index == i) || (f.By == ByName && f.Name == ifc.Name) {
			out = append(out, i)
		}
	}
	return out
}

// Select resolves what a user typed to name an interface: a pcapng
// interface name, a pcapng interface index, or, in a Linux "any" capture,
// a Linux interface index from the SLL2 headers. The error (wrapping
// [ErrNoInterface]) lists the interfaces there are.
func (l *Interfaces) Select(spec string) (IfaceFilter, error) {
	if len(l.Declared) <= 1 && len(l.SLL2) <= 1 {
		var only []string
		for _, ifc := range append(l.Declared, l.SLL2...) {
			only = append(only, fmt.Sprintf("%s, %d packets", linkName(ifc.LinkType), ifc.Packets))
		}
		return IfaceFilter{}, &ifaceError{fmt.Sprintf("%s holds one interface only (%s); give the two sides as separate captures, --lan and --wan",
			l.File, strings.Join(only, "; "))}
	}
	n, err := strconv.Atoi(spec)
	isNum := err == nil && n >= 0 && strconv.Itoa(n) == spec
	switch {
	case isNum && l.bySLL2():
		for _, ifc := range l.SLL2 {
			if ifc.Filter.Index == n {
				return ifc.Filter, nil
			}
		}
	case isNum:
		if n < len(l.Declared) {
			return l.Declared[n].Filter, nil
		}
	default:
		for _, ifc := range l.Declared {
			if ifc.Name == spec {
				return IfaceFilter{By: ByName, Name: spec}, nil
			}
		}
	}
	return IfaceFilter{}, &ifaceError{fmt.Sprintf("%s has no interface %q; %s", l.File, spec, l.Describe())}
}
