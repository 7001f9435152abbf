package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sipalg/sipalg/analyze/capture"
)

// sideFlags are the flags that name the two sides of the router.
type sideFlags struct {
	lan, wan           string // two captures
	capture            string // or one capture of both interfaces
	lanIface, wanIface string
}

// sources turns the side flags into the two sources to analyse, or says
// in one line what is wrong with them.
func (f sideFlags) sources() (lan, wan capture.Source, err error) {
	if f.capture != "" {
		return f.oneFile()
	}
	switch {
	case f.lanIface != "" || f.wanIface != "":
		return lan, wan, errors.New("--lan-if and --wan-if go with --capture FILE (one capture holding both interfaces)")
	case f.lan == "" && f.wan == "":
		return lan, wan, errors.New("give both --lan and --wan captures, or --capture FILE with --lan-if and --wan-if")
	case f.lan == "" || f.wan == "":
		given := "--lan"
		if f.lan == "" {
			given = "--wan"
		}
		return lan, wan, fmt.Errorf("only %s given where both sides are needed", given)
	}
	if sameFile(f.lan, f.wan) {
		return lan, wan, fmt.Errorf("--lan and --wan are the same file (%s): give the captures of the two sides of the router, or --capture with --lan-if and --wan-if if it holds both interfaces", f.lan)
	}
	return capture.Source{Path: f.lan}, capture.Source{Path: f.wan}, nil
}

func (f sideFlags) oneFile() (lan, wan capture.Source, err error) {
	switch {
	case f.lan != "" || f.wan != "":
		return lan, wan, errors.New("--capture and --lan/--wan exclude each other: give one capture of both interfaces, or two captures")
	case f.lanIface == "" || f.wanIface == "":
		return lan, wan, errors.New("--capture needs --lan-if and --wan-if: the interface (name or index) of each side")
	case f.lanIface == f.wanIface:
		return lan, wan, fmt.Errorf("--lan-if and --wan-if are both %q: name the router's two interfaces", f.lanIface)
	}
	list, err := capture.ListInterfaces(f.capture)
	if err != nil {
		return lan, wan, err
	}
	lf, err := list.Select(f.lanIface)
	if err != nil {
		return lan, wan, fmt.Errorf("--lan-if: %w", err)
	}
	wf, err := list.Select(f.wanIface)
	if err != nil {
		return lan, wan, fmt.Errorf("--wan-if: %w", err)
	}
	if list.Overlap(lf, wf) {
		return lan, wan, fmt.Errorf("--lan-if %q and --wan-if %q are the same interface of %s", f.lanIface, f.wanIface, f.capture)
	}
	return capture.Source{Path: f.capture, Iface: lf}, capture.Source{Path: f.capture, Iface: wf}, nil
}

// sameFile reports whether two paths name one existing file.
func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// oneLine makes an error fit one line: joined errors (both captures
// unreadable) are separated by "; ".
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
