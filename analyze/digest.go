package analyze

import (
	"slices"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/rules"
)

// maxExamples is how many findings of each rule a Digest keeps: those
// about the earliest messages.
const maxExamples = 5

// Digest is what a report says of its messages and findings in counts
// and examples, kept as the dialogs are judged: all the table report
// needs when the messages and findings themselves are streamed
// (Options.Stream). Not part of the JSON contract.
type Digest struct {
	Messages        int
	States          map[string]int
	Retransmissions int
	Dialogs         int
	// Rules counts each rule's findings and keeps its first examples.
	Rules map[string]*RuleDigest
}

// RuleDigest is one rule's findings in a Digest.
type RuleDigest struct {
	Count    int
	Examples []rules.Finding // in report order, at most maxExamples
}

func newDigest() *Digest {
	return &Digest{States: map[string]int{}, Rules: map[string]*RuleDigest{}}
}

func (d *Digest) add(b *match.Batch, fs []rules.Finding) {
	d.Messages += len(b.Messages)
	for i := range b.Messages {
		d.States[b.Messages[i].State]++
		if b.Messages[i].Retransmission {
			d.Retransmissions++
		}
	}
	if b.Closed {
		d.Dialogs++
	}
	d.addCapture(fs)
}

func (d *Digest) addCapture(fs []rules.Finding) {
	for i := range fs {
		f := &fs[i]
		r := d.Rules[f.Rule]
		if r == nil {
			r = &RuleDigest{}
			d.Rules[f.Rule] = r
		}
		r.Count++
		if len(r.Examples) == maxExamples && rules.CompareFindings(*f, r.Examples[maxExamples-1]) >= 0 {
			continue
		}
		i, _ := slices.BinarySearchFunc(r.Examples, *f, rules.CompareFindings)
		r.Examples = slices.Insert(r.Examples, i, *f)
		if len(r.Examples) > maxExamples {
			r.Examples = r.Examples[:maxExamples]
		}
	}
}
