// Package capture reads packet captures the way a customer sends them and
// turns them into the transport-level events the rest of sipalg works on.
//
// # Files
//
// [Open] recognises a file by its magic bytes, not its name: pcap
// (microsecond and nanosecond, both byte orders), pcapng (several sections,
// several interfaces, mixed link types) and gzip-compressed copies of
// either. Other capture formats and files that are not captures at all get
// an [*InputError] that says what the file looks like and how to convert it.
// Every record keeps its 1-based frame number (Wireshark's numbering), its
// byte offset in the (decompressed) file, its timestamp and its interface.
//
// A file cut short at its end is read up to the cut and reported through
// [Reader.Truncated]; a record that cannot be read (impossible length,
// corrupt block) is an [*InputError] naming the file, record and offset.
//
// # Interfaces
//
// One capture taken on a router can hold both of its sides: a pcapng with
// an interface per side, or a Linux "any" capture whose SLL2 headers carry
// each packet's interface index. [ListInterfaces] counts the packets of
// each, [Interfaces.Select] resolves what a user typed (a name, a pcapng
// index, a Linux interface index) into an [IfaceFilter], and
// [OpenSource] opens a [Source] whose reader hands out only that
// interface's records, keeping the file's frame numbers.
//
// # Packets
//
// [Decoder] decodes link, network and transport layers with one
// gopacket DecodingLayerParser per link type, reassembles IPv4 and IPv6
// fragments and TCP streams within the bounds of [Limits], and frames SIP
// over TCP by Content-Length. [Scanner] joins the two and hands out one
// [Packet] at a time; nothing in the per-packet path allocates once the
// tables are warm.
package capture
