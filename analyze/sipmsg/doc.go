// Package sipmsg parses SIP messages (RFC 3261) without losing a byte.
package sipmsg
