// Command algsim generates the emulated SIP ALG fixtures: it synthesizes a
// phone's LAN capture and emulates routers that NAT and rewrite it.
//
// Usage:
//
//	algsim -synth [-profile NAME] -o lan.pcap        synthesize a LAN capture
//	algsim -profile NAME -lan IN.pcap -o DIR          emulate a router into a case directory
//	algsim -all [-o fixtures]                         regenerate every case directory
//	algsim -merge CASEDIR -o DIR                      one capture of both interfaces from a two-capture case
//	algsim -list                                      list the profiles
//
// Exit codes: 0 success, 1 generation failed, 2 usage error.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sipalg/sipalg/fixtures/algsim"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	// Stdlib flag, not pflag: the documented commands use single-dash long
	// flags (-synth, -all, -profile), which pflag reads as shorthand groups.
	fs := flag.NewFlagSet("algsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	synth := fs.Bool("synth", false, "synthesize a LAN capture (the profile's scenario, or the default one)")
	all := fs.Bool("all", false, "regenerate every profile's case directory under -o (default fixtures)")
	list := fs.Bool("list", false, "list the profiles")
	profile := fs.String("profile", "", "router profile")
	lan := fs.String("lan", "", "LAN capture to emulate (pcap, Ethernet)")
	merge := fs.String("merge", "", "case directory to merge into one pcapng of both router interfaces (into -o DIR)")
	out := fs.String("o", "", "output: pcap file for -synth, directory otherwise")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "algsim: unexpected arguments %q\n", fs.Args())
		return 2
	}
	switch {
	case *list:
		for _, p := range algsim.Profiles() {
			fmt.Fprintf(stdout, "%-14s %s\n", p.Name, p.Title)
		}
		return 0
	case *all:
		dir := *out
		if dir == "" {
			dir = "fixtures"
		}
		for _, p := range algsim.Profiles() {
			if err := algsim.GenerateCase(filepath.Join(dir, p.Name), p); err != nil {
				fmt.Fprintf(stderr, "algsim: %v\n", err)
				return 1
			}
			fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(dir, p.Name))
		}
		for _, mc := range algsim.MergedCases() {
			if err := algsim.MergeCase(filepath.Join(dir, mc.Src), filepath.Join(dir, mc.Dst), mc.Dst); err != nil {
				fmt.Fprintf(stderr, "algsim: %v\n", err)
				return 1
			}
			fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(dir, mc.Dst))
		}
		return 0
	case *merge != "":
		if *out == "" {
			fmt.Fprintln(stderr, "algsim: -merge needs -o DIR")
			return 2
		}
		if err := algsim.MergeCase(*merge, *out, filepath.Base(*out)); err != nil {
			fmt.Fprintf(stderr, "algsim: %v\n", err)
			return 1
		}
		return 0
	case *synth:
		if *out == "" {
			fmt.Fprintln(stderr, "algsim: -synth needs -o FILE")
			return 2
		}
		sc := algsim.DefaultScenario()
		if *profile != "" {
			p, err := algsim.ProfileByName(*profile)
			if err != nil {
				fmt.Fprintf(stderr, "%v\n", err)
				return 2
			}
			sc = p.Scenario
		}
		var buf bytes.Buffer
		if err := algsim.Synthesize(&buf, sc); err != nil {
			fmt.Fprintf(stderr, "algsim: %v\n", err)
			return 1
		}
		if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
			fmt.Fprintf(stderr, "algsim: %v\n", err)
			return 1
		}
		return 0
	case *profile != "":
		if *lan == "" || *out == "" {
			fmt.Fprintln(stderr, "algsim: -profile needs -lan IN.pcap and -o DIR")
			return 2
		}
		p, err := algsim.ProfileByName(*profile)
		if err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			return 2
		}
		in, err := os.ReadFile(*lan)
		if err != nil {
			fmt.Fprintf(stderr, "algsim: %v\n", err)
			return 2
		}
		if err := algsim.EmulateCase(*out, bytes.NewReader(in), p); err != nil {
			fmt.Fprintf(stderr, "algsim: %s: %v\n", *lan, err)
			return 1
		}
		return 0
	}
	fmt.Fprintln(stderr, "algsim: one of -synth, -profile, -merge, -all or -list is required")
	fs.PrintDefaults()
	return 2
}
