# tierbase — the commands the README promises.
GO ?= go

.PHONY: test gotest gotest-pg ui ui-check e2e bench run demo fuzz

## test: everything CI runs — Go tests with the race detector (on SQLite, then again on
## PostgreSQL), the UI build check, browser tests
test: gotest gotest-pg ui-check e2e

gotest:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

## gotest-pg: the whole Go suite again on a throw-away PostgreSQL server (scripts/pgtest installs
## Debian's postgresql if needed, starts it, and stops it after); each data directory a test
## opens gets a schema of its own there. Tests of SQLite machinery skip themselves.
gotest-pg:
	@eval "$$(scripts/pgtest start)"; $(GO) test -race -count=1 -timeout 20m ./...; status=$$?; scripts/pgtest stop; exit $$status

## ui: build the web UI into ui/dist (embedded in the binary; commit the result)
ui:
	cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build

## ui-check: rebuild the UI and fail if the committed ui/dist is stale
ui-check: ui
	@if git rev-parse --git-dir >/dev/null 2>&1 && [ -n "$$(git status --porcelain -- ui/dist)" ]; then \
		git status --short -- ui/dist; echo "ui/dist is stale: run 'make ui' and commit ui/dist"; exit 1; fi

## e2e: browser tests — playwright-core driving Debian's chromium against a real server
e2e:
	e2e/setup.sh
	cd e2e && node --test --test-concurrency=1

## bench: measure the figures of BENCHMARKS.md (a command, not a test); with ../shared/peers
## present, PocketBase is measured in the same run as the reference
PEERS ?= $(wildcard ../shared/peers)
bench:
	$(GO) run ./bench $(if $(PEERS),--peers $(abspath $(PEERS)))

## fuzz: run every fuzz target for a while (FUZZTIME=30s by default)
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list 'Fuzz.*' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg || exit 1; \
		done; done

run:
	$(GO) run ./cmd/tierbase serve

demo:
	$(GO) run ./cmd/tierbase demo
