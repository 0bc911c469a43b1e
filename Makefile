# Loom: build, test, fuzz, benchmark and demo. "make help" lists the targets.

GO          ?= go
BIN         := bin/loom
MODULE      := github.com/loom-fs/loom
VERSION     := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X $(MODULE)/cmd/loomcli.Version=$(VERSION)
# Packages whose tests run under the race detector (they are concurrent).
RACE_PATTERNS := ./xlator/... ./translators/...
FUZZTIME    ?= 1m
# make test's short fuzz runs count executions, not seconds: a timed run can
# end in "context deadline exceeded" when its time runs out while a worker
# is busy (no crash found), which would fail CI for nothing.
TESTFUZZTIME ?= 200000x
BENCHFLAGS  ?=
SUDO        := $(if $(filter 0,$(shell id -u)),,sudo)

.DEFAULT_GOAL := help
.PHONY: help deps build test fuzz bench lint demo clean

help: ## list the targets
	@echo "Targets:"
	@awk 'BEGIN { FS = ":.*## " } /^[a-z]+:.*## / { printf "  %-6s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo "Variables: FUZZTIME (make fuzz, per target; default $(FUZZTIME)), BENCHFLAGS (make bench)"

deps: ## install what this machine lacks: fuse3, attr, acl (apt-get) and the Go modules
	@missing=""; \
	command -v fusermount3 >/dev/null || missing="$$missing fuse3"; \
	command -v getfattr >/dev/null || missing="$$missing attr"; \
	command -v getfacl >/dev/null || missing="$$missing acl"; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		$(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi
	@$(GO) mod download

build: ## build bin/loom
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/loom

# run_fuzz runs every Fuzz target in the repository (found with grep) for
# $(1) each, one target per go test run as the fuzzer requires.
define run_fuzz
	@set -e; \
	for file in $$(grep -rlE --include='*_test.go' --exclude-dir=.git '^func Fuzz[A-Za-z0-9_]*\([a-z]+ \*testing\.F\)' .); do \
		dir=$$(dirname $$file); \
		for fn in $$(sed -nE 's/^func (Fuzz[A-Za-z0-9_]*)\([a-z]+ \*testing\.F\).*/\1/p' $$file); do \
			echo "fuzz: $$dir $$fn for $(1)"; \
			$(GO) test -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(1) $$dir; \
		done; \
	done
endef

test: deps lint build ## deps, gofmt and vet, short fuzz runs, then every test (-race for xlator and translators; integration tests included)
	$(call run_fuzz,$(TESTFUZZTIME))
	@race=$$($(GO) list $(RACE_PATTERNS) 2>/dev/null); \
	rest=$$($(GO) list ./... | grep -vE '^$(MODULE)/(xlator|translators)(/|$$)'); \
	status=0; \
	if [ -n "$$race" ]; then $(GO) test -race -timeout 10m $$race || status=1; fi; \
	$(GO) test -timeout 15m $$rest || status=1; \
	exit $$status

fuzz: ## run every Fuzz target for FUZZTIME (default 1m) each
	$(call run_fuzz,$(FUZZTIME))

bench: build ## run the benchmark program (cmd/loombench) with BENCHFLAGS
	$(GO) run ./cmd/loombench $(BENCHFLAGS)

lint: ## gofmt -l and go vet
	@unformatted=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

demo: deps build ## mount a small example volume with bin/loom, write through it, show the brick, unmount
	examples/demo.sh

clean: ## remove bin/
	rm -rf bin
