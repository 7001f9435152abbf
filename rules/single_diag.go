package rules

import (
	"fmt"
	"strings"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// This file reads the parser's diagnostics for the single-capture rules.

// headerAt returns the field path ("Via[0]", "Contact[1]") and the line of
// the header holding offset off of p; ok is false when off is not in a
// header.
func headerAt(p *sipmsg.Message, off int) (field, line string, ok bool) {
	count := map[string]int{}
	for _, h := range p.Headers {
		i := count[h.Full()]
		count[h.Full()]++
		if off >= h.Line.Off && off < h.Line.End {
			return fmt.Sprintf("%s[%d]", h.Full(), i), capQuote(p.Bytes(h.Line)), true
		}
	}
	return "", "", false
}

// diagFindings returns one finding per message the router touched (on this
// side, in the direction an ALG rewrites, and visibly rewritten) whose
// diagnostics have one of the codes, describing where.
func diagFindings(c *SingleContext, codes []string, why string) []Finding {
	var out []Finding
	for i := range c.Messages {
		m := &c.Messages[i]
		p, _, _, _ := c.msg(m)
		if !c.routerTouched(m) || m.Retransmission || !c.rewrittenHere(m) {
			continue
		}
		var where []string
		var first sipmsg.Diag
		for _, d := range p.Diags {
			hit := false
			for _, code := range codes {
				hit = hit || d.Code == code
			}
			if !hit {
				continue
			}
			if len(where) == 0 {
				first = d
			}
			if field, line, ok := headerAt(p, d.Off); ok {
				where = append(where, fmt.Sprintf("%s: %s (%s)", field, d.Msg, line))
			} else {
				where = append(where, d.Msg)
			}
		}
		if len(where) == 0 {
			continue
		}
		f := c.singleFinding(m, fmt.Sprintf("In this %s %s: %s.", describe(m), why, joinCapped(where, 3)))
		f.Field, _, _ = headerAt(p, first.Off)
		if f.Field == "" {
			f.Field = "body"
			if strings.HasPrefix(first.Code, "content-length") {
				f.Field = "Content-Length"
			}
		}
		f.After = first.Msg
		out = append(out, f)
	}
	return out
}

func joinCapped(s []string, n int) string {
	out := ""
	for i, v := range s {
		if i == n {
			return out + fmt.Sprintf("; and %d more", len(s)-n)
		}
		if i > 0 {
			out += "; "
		}
		out += v
	}
	return out
}

func capQuote(b []byte) string {
	if len(b) > 80 {
		return fmt.Sprintf("%q…", b[:80])
	}
	return fmt.Sprintf("%q", b)
}

// isTCP reports whether m came over TCP (framed by Content-Length, so a
// wrong one cannot be seen as such).
func isTCP(m *match.Message) bool { return m.Proto == "tcp" }
