package capture

import (
	"encoding/binary"
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// PPP carries IP on the WAN side of DSL routers (PPPoE, RFC 2516) and in
// PPTP-style GRE tunnels. gopacket v1.7.7 decodes neither as a
// DecodingLayer, so these two small ones do.

// PPP protocol numbers (RFC 1332, RFC 5072).
const (
	pppIPv4 = 0x0021
	pppIPv6 = 0x0057
)

var errShortPPP = errors.New("PPP header truncated")

// pppNext maps a PPP protocol number to the layer it carries.
func pppNext(proto uint16) gopacket.LayerType {
	switch proto {
	case pppIPv4:
		return layers.LayerTypeIPv4
	case pppIPv6:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypeZero
}

// pppoeLayer decodes a PPPoE header and the PPP protocol field after it.
type pppoeLayer struct {
	layers.BaseLayer
	next gopacket.LayerType
}

func (l *pppoeLayer) CanDecode() gopacket.LayerClass    { return layers.LayerTypePPPoE }
func (l *pppoeLayer) NextLayerType() gopacket.LayerType { return l.next }
func (l *pppoeLayer) LayerType() gopacket.LayerType     { return layers.LayerTypePPPoE }

func (l *pppoeLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.next = gopacket.LayerTypeZero
	if len(data) < 6 {
		return errShortPPP
	}
	if data[1] != 0x00 { // a discovery packet (PADI, PADO...): no payload
		l.BaseLayer = layers.BaseLayer{Contents: data[:6], Payload: data[6:]}
		return nil
	}
	if len(data) < 8 {
		return errShortPPP
	}
	n := int(binary.BigEndian.Uint16(data[4:])) // PPP protocol + payload
	end := min(6+n, len(data))
	if end < 8 {
		end = 8
	}
	l.BaseLayer = layers.BaseLayer{Contents: data[:8], Payload: data[8:end]}
	l.next = pppNext(binary.BigEndian.Uint16(data[6:]))
	return nil
}

// pppLayer decodes a bare PPP header (HDLC address/control optional).
type pppLayer struct {
	layers.BaseLayer
	next gopacket.LayerType
}

func (l *pppLayer) CanDecode() gopacket.LayerClass    { return layers.LayerTypePPP }
func (l *pppLayer) NextLayerType() gopacket.LayerType { return l.next }
func (l *pppLayer) LayerType() gopacket.LayerType     { return layers.LayerTypePPP }

func (l *pppLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.next = gopacket.LayerTypeZero
	off := 0
	if len(data) >= 2 && data[0] == 0xff && data[1] == 0x03 {
		off = 2
	}
	if len(data) < off+1 {
		return errShortPPP
	}
	// The protocol field may be compressed to one byte (odd value).
	var proto uint16
	if data[off]&1 == 1 {
		proto = uint16(data[off])
		off++
	} else {
		if len(data) < off+2 {
			return errShortPPP
		}
		proto = binary.BigEndian.Uint16(data[off:])
		off += 2
	}
	l.BaseLayer = layers.BaseLayer{Contents: data[:off], Payload: data[off:]}
	l.next = pppNext(proto)
	return nil
}
