# sipalg — make targets. `make test` is what CI runs.
GO        ?= go
BIN       := bin/sipalg
PKGS      := ./...
FUZZTIME  ?= 30s
# Minimising each new input for the default 60 s starves slow targets
# (FuzzAnalyzePair runs the whole pipeline); see docs/fuzzing.md.
FUZZFLAGS ?= -fuzzminimizetime=10s
BENCHTIME ?= 1s
# make bench: where the generated benchmark captures are cached (about
# 20 GB in all; regenerated only when missing), runs per figure, sections
# (go: the Go benchmarks; the others are bin/sipalg-bench's, see
# docs/performance.md). make bench BENCHONLY=sipheavy: issue 15's pairs only.
BENCHDIR  ?= /tmp/sipalg-bench
BENCHRUNS ?= 3
BENCHONLY ?= go,large,small,flat,formats,sipheavy
comma     := ,
space     := $(empty) $(empty)
BENCHCAPS := $(subst $(space),$(comma),$(filter-out go,$(subst $(comma), ,$(BENCHONLY))))
DEMO_CASE ?= fixtures/st530

export CGO_ENABLED ?= 0

.PHONY: all build test vet lint demo docs bench fuzz fixtures fixtures-record screenshot clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/sipalg

# Generated documentation: the rule catalog (a test fails when it is stale).
docs:
	$(GO) run ./cmd/sipalg rules --format markdown > docs/rules.md

vet:
	$(GO) vet $(PKGS)

# Capture time is the only clock: no wall-clock time in the analysis.
lint: vet
	@if grep -rn --include='*.go' 'time\.Now()' $(wildcard analyze rules) | grep -v '_test.go'; then \
		echo "lint: time.Now in analysis code (use capture timestamps)"; exit 1; fi
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "lint: gofmt"; exit 1; }

# The race detector needs cgo.
test: lint
	CGO_ENABLED=1 $(GO) test -race -count=1 $(PKGS)

# The main job on a bundled fixture: an emulated ST530, whose ALG rewrites
# the private address everywhere and whose mappings die after 60 s.
# --fail-on never: the demo shows the findings; it is not a failing check.
demo: build
	@echo "== sipalg flows $(DEMO_CASE)/wan.pcap"
	./$(BIN) flows $(DEMO_CASE)/wan.pcap
	@echo
	@echo "== sipalg analyze --lan $(DEMO_CASE)/lan.pcap --wan $(DEMO_CASE)/wan.pcap"
	./$(BIN) analyze --fail-on never --lan $(DEMO_CASE)/lan.pcap --wan $(DEMO_CASE)/wan.pcap

# Go benchmarks (allocations per packet), then the capture benchmarks of
# docs/performance.md: analyze against a bare read+decode loop, tshark and
# zcat on generated gigabyte captures.
bench: build
ifneq ($(filter go,$(subst $(comma), ,$(BENCHONLY))),)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./analyze/...
endif
ifneq ($(BENCHCAPS),)
	$(GO) build -o bin/sipalg-bench ./cmd/sipalg-bench
	./bin/sipalg-bench -dir $(BENCHDIR) -runs $(BENCHRUNS) -only $(BENCHCAPS) -sipalg ./$(BIN)
endif

# The hostile tests too heavy for `make test` (SIPALG_HOSTILE_BIG=1): the
# whole pipeline on a million distinct UDP flows per side, which must stay
# under 256 MiB of peak RSS. Run alone, so the peak is the test's own.
hostile-big:
	SIPALG_HOSTILE_BIG=1 $(GO) test -count=1 -v -run 'TestHostileMillionFlows' -timeout 30m ./analyze/

# Every fuzz target in the tree, each for FUZZTIME.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
			echo "== $$pkg $$t ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) $$pkg; \
		done; \
	done

# The README's picture of the HTML report (needs Chromium).
screenshot:
	$(GO) test ./cmd/sipalg -run '^TestHTMLInChromium$$' -count=1 -v -screenshot $(CURDIR)/docs/html-report-st530.png

# Re-record the real-ALG fixtures (root, network namespaces).
fixtures-record:
	bash fixtures/lab/record.sh

# Regenerate the emulated-router fixtures (and the one-capture cases made
# from them). If their reports change, TestGolden says so; review, then
# rewrite the goldens with: go test ./cmd/sipalg -run TestGolden -update
fixtures:
	$(GO) run ./cmd/algsim -all -o fixtures

clean:
	rm -rf bin
