package analyze

import (
	"errors"
	"fmt"
	"sync"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/inventory"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/oneside"
	"github.com/sipalg/sipalg/rules"
)

// Single is what a single-capture report rests on: the side, the role
// given to every host that exchanged SIP and why, and what each bound on
// the UDP timeout comes from.
type Single struct {
	Side  string          `json:"side"`
	Hosts []*oneside.Host `json:"hosts"`
	// UDPTimeout says what nat.udp_timeout_s.lower and .upper rest on
	// ("" for an unknown bound).
	UDPTimeout oneside.TimeoutEvidence `json:"udp_timeout_evidence"`
}

// singleLimits is what any single-capture analysis cannot prove, per
// side; the report lists them with the capture's own limits.
var singleLimits = map[string][]string{
	"": {
		"One capture only: every finding is an inference from what is inconsistent inside this capture, not a comparison of each message on both sides of the router. Rules that need both sides (every verdict of correct or bad) did not run; single-capture rules give warning or info.",
		"A router that rewrites every occurrence of the private address consistently, ports included, or a phone that writes its public address itself (STUN), leaves no trace on one side: no finding does not mean no ALG.",
		"Messages the router dropped or sent by itself cannot be told from the others: each message exists here once. Message state is \"unpaired\".",
		"Clock: one capture, nothing to align (clock is empty).",
	},
	"wan": {
		"The phone's LAN-side addresses and ports are known only where the router left them in the message: mappings list the public side, and the LAN side only where the phone's own Via names a private address.",
		"UDP timeout: the lower bound is the longest silence after which an inbound request still reached the phone (it answered); the upper bound the shortest silence of the phone after which one was refused (ICMP) or went unanswered, which may also mean the phone was off.",
	},
	"lan": {
		"What left the router towards the Internet is not in this capture: outbound rewrites show only where the server echoes them (Via received/rport, Contact in a 2xx to REGISTER).",
		"Requests the router dropped never reach the LAN side: the UDP timeout has at most a lower bound (the longest silence after which an inbound request still arrived). Mappings list the LAN side, with the public side where the server reported it in received/rport.",
	},
}

// SinglePasses is how many times [RunSingleSource] reads its source: once
// for the inventory, once for the analysis (at the same time). A progress
// display expects SinglePasses times the file size.
const SinglePasses = 2

// RunSingle analyses one capture taken on one side ("lan" or "wan") of a
// router, without the other: it infers what it can, with rules that say
// what they suspect, and a report whose Mode, Limits and Single say that
// it is single-sided. Errors are I/O and capture-format errors.
func RunSingle(path, side string, opt Options) (*Report, error) {
	return RunSingleSource(capture.Source{Path: path}, side, opt)
}

// RunSingleSource is [RunSingle] on a source: a file, or one interface of
// a file that holds several.
func RunSingleSource(src capture.Source, side string, opt Options) (*Report, error) {
	if side != string(oneside.LAN) && side != string(oneside.WAN) {
		return nil, fmt.Errorf("analyze: side %q: want lan or wan", side)
	}
	lim := opt.Limits.withDefaults()
	var wg sync.WaitGroup
	var sum *inventory.Summary
	var res *oneside.Result
	var errSum, errRes error
	wg.Add(2)
	go func() {
		defer wg.Done()
		sum, errSum = inventory.ReadSource(src, lim.Capture)
	}()
	go func() {
		defer wg.Done()
		res, errRes = oneside.ReadSource(src, oneside.Side(side), oneside.Limits{Capture: lim.Capture, MaxSIPBytes: lim.MaxSIPBytes, MaxMessages: min(lim.MaxMessages, lim.MaxSIPPairs)})
	}()
	wg.Wait()
	if err := errors.Join(errSum, errRes); err != nil {
		return nil, err
	}
	mode := ModeSingleWAN
	if side == string(oneside.LAN) {
		mode = ModeSingleLAN
	}
	rep := &Report{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "sipalg", Version: opt.Version},
		Mode:          mode,
		Inputs:        map[string]Input{side: inputOf(sum)},
		NAT:           res.NAT,
		Mappings:      res.Mappings,
		Messages:      res.Match.Messages,
		Dialogs:       res.Match.Dialogs,
		Warnings:      res.Warnings,
		Limits:        append(append([]string{}, singleLimits[""]...), append(singleLimits[side], res.Limits...)...),
		Single:        &Single{Side: side, Hosts: res.Hosts, UDPTimeout: res.Timeout},
		Fingerprints:  []rules.Fingerprint{},
	}
	rep.Findings, rep.Verdict = rules.EvaluateSingle(&rules.SingleInput{Capture: res})
	if rep.Mappings == nil {
		rep.Mappings = []correlate.Mapping{}
	}
	if rep.Messages == nil {
		rep.Messages = []match.Message{}
	}
	if rep.Warnings == nil {
		rep.Warnings = []string{}
	}
	if rep.Single.Hosts == nil {
		rep.Single.Hosts = []*oneside.Host{}
	}
	return rep, nil
}
