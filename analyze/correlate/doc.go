// Package correlate lines up the LAN-side and WAN-side captures of a NAT
// router and works out, from the packets alone, what the router did at the
// network level.
//
// # Clock
//
// The two captures come from different machines. [Correlate] estimates the
// offset (WAN clock minus LAN clock) and drift between them from packets
// that are the same packet on both sides: an outbound packet shows the
// offset plus the router's forwarding latency, an inbound one the offset
// minus it, so using both directions separates the two.
//
// # Pairing
//
// Every packet is paired with its twin across the NAT by fields the router
// and a SIP ALG leave alone: RTP by SSRC, sequence number and timestamp,
// RTCP by its first report, SIP by method or status, CSeq, and Call-ID and
// From tag with every IPv4-address-looking token masked (a dumb ALG
// rewrites the private address even inside them), other UDP by payload.
// Identical packets (retransmissions) pair in order. A packet with no twin
// within the pairing window is dropped (seen only on the side it entered)
// or generated (seen only on the side it left).
//
// # Mappings
//
// The pairs give the NAT mapping table (LAN ip:port to WAN ip:port per
// protocol, the remote endpoints each served), the router's public
// addresses, port preservation, the mapping behaviour in RFC 4787 terms
// and, from idle gaps that mappings survived or did not, bounds on the
// router's UDP mapping timeout.
//
// # Bounds
//
// Both files are read twice, each pass streaming. The first pass keeps a
// hash-sampled set of at most [clockSampleMax] packets per side for the
// clock; the second pairs packets holding only those not yet paired within
// the window. Memory grows with the live mappings and the window, not with
// the captures' length.
package correlate
