// Package sipmsg parses SIP messages (RFC 3261) without losing a byte, for
// forensic comparison of the two sides of a SIP ALG.
//
// A SIP ALG corrupts messages in small ways: a lost ';', a port of 70000, a
// Content-Length that no longer fits, an address replaced inside a tag. A
// parser that normalises or rejects such messages hides the evidence, so
// [Parse] keeps every byte: the start line, every header line in order with
// its raw bytes (folding included), the blank line, the body and any bytes
// beyond Content-Length are [Span]s into [Message.Raw] that together cover it
// exactly. Full header names ("Via" for "v") are lookup keys only.
//
// Parse never fails: defects become [Diag]s with a stable code, a severity
// and a byte offset, and parsing goes on. Known headers are checked during
// Parse, which keeps what [Message.Vias], [Message.Contacts], [Message.From]
// and [Message.To] return; the other typed views ([Message.CSeq],
// [Message.Routes], [Message.SDPBody]...) parse on each call. Every view
// keeps the span of every element (URI user, host, port, each parameter's
// name and value), and none changes the Message.
//
// # Diagnostics
//
// Codes are stable strings; rules and reports match on them.
//
//	code                     sev      meaning
//	not-sip                  error    the start line is neither a SIP request nor a status line (HTTP, STUN, binary)
//	bad-start-line           error    request line malformed: extra or trailing SP, no SIP-Version, LWS in the Request-URI
//	                         warning  status line without the SP before an empty reason phrase
//	bad-version              error    SIP-Version (start line or Via sent-protocol) is not SIP/2.0 (warning: only the case differs)
//	bad-status-code          error    status code is not three digits 100-699
//	bad-request-uri          error    Request-URI enclosed in '<' '>'
//	ruri-headers             error    a SIP Request-URI carries URI headers ("?Route=...")
//	bad-line-ending          error    a line in the header section ends in a bare LF or bare CR
//	line-too-long            error    a line longer than MaxLineBytes
//	too-many-headers         error    more than MaxHeaders header lines: the rest is kept as body
//	header-no-colon          error    a header line without ':' (or a continuation line with no header)
//	bad-header-name          error    a header name that is empty or not a token
//	no-blank-line            error    the header section is not ended by an empty line
//	duplicate-header         error    a second instance of a single-value header (Call-ID, From, To, CSeq, Content-Length...)
//	missing-header           error    no Via, From, To, Call-ID or CSeq
//	                         warning  a request without Max-Forwards (RFC 2543 elements omit it)
//	content-length-long      error    Content-Length larger than the bytes after the header section
//	content-length-short     warning  Content-Length smaller than the bytes after the header section (Extra keeps the rest)
//	bad-content-length       error    Content-Length is not a non-negative number
//	bad-number               error    Max-Forwards, Expires, Min-Expires or Retry-After is not a number
//	number-out-of-range      error    CSeq >= 2**31, Max-Forwards > 255, delta-seconds (Expires, ;expires, Retry-After, ttl) > 2**32-1
//	bad-cseq                 error    CSeq is not "number method"
//	cseq-method-mismatch     error    CSeq method differs from the request method
//	bad-call-id              error    Call-ID empty or containing whitespace
//	bad-date                 error    Date is not in GMT (RFC 3261 §20.17)
//	bad-via                  error    Via sent-protocol is not name/version/transport, or no LWS before sent-by
//	empty-value              error    an empty element in a comma-separated list, or an empty Via/address header
//	bad-value                error    ',' in a single-value address header (From, To, Refer-To)
//	unbalanced-quote         error    a quoted string (display name, parameter value) is not closed
//	unbalanced-angle         error    '<' without '>' or '>' without '<'
//	bad-display-name         error    an unquoted display name with non-token characters, or text after a quoted one
//	bad-uri                  error    no scheme, whitespace inside the URI or around it within '<' '>', an unexpected byte
//	bare-uri-reserved        error    an addr-spec with URI headers ('?') not enclosed in '<' '>'
//	bad-host                 error    invalid IPv4 address, IPv6 reference or host name
//	ipv6-unbracketed         error    an IPv6 address in a URI or sent-by without '[' ']' (RFC 5118 §4.2)
//	bad-port                 error    a port that is empty or not a number
//	port-out-of-range        error    a port (URI, sent-by, rport) above 65535
//	param-separator-missing  error    a ';' lost between parameters: a name made of two known names ("rportreceived"),
//	                                  a value or host that swallowed the next name ("received=1.2.3.4rport=...",
//	                                  "10.0.0.1rport", ":5060transport"), or a parameter after whitespace without ';'
//	                         warning  heuristic: a branch value ending in "rport" ("z9hG4bK1rport")
//	bad-param                error    an unexpected byte among parameters, or a non-numeric rport/ttl/expires
//	empty-param              error    ';' with no parameter name (";;")
//	empty-param-value        warning  "name=" with no value
//
// SDP bodies are parsed by package sdp, whose codes start with "sdp-".
package sipmsg
