# Pejl — the commands the README gives.
# The Go toolchain every target builds with (machines default to GOTOOLCHAIN=local, which
# would ignore a toolchain line in go.mod); the go command fetches it through the module proxy.
export GOTOOLCHAIN := go1.26.10
GO        ?= go
NPM       ?= npm
BIN       := bin/pejl
FRONTEND  := frontend
STATICCHECK ?= $(shell command -v staticcheck 2>/dev/null || echo $(HOME)/go/bin/staticcheck)

.PHONY: vulncheck screenshots run build frontend frontend-deps test test-go test-frontend test-e2e fuzz lint bench bench-smoke clean

## run: build everything and serve Pejl on http://localhost:8080 with the embedded engine
run: build
	./$(BIN)

## build: the binary with the frontend embedded, in bin/pejl
build: frontend
	$(GO) build -o $(BIN) ./server

$(FRONTEND)/node_modules/.package-lock.json: $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && $(NPM) ci --no-audit --no-fund
	@touch $@

frontend-deps: $(FRONTEND)/node_modules/.package-lock.json

## frontend: build the web interface into frontend/dist (checked for size)
frontend: frontend-deps
	cd $(FRONTEND) && $(NPM) run build

## test: every test — Go with the race detector (Redis tests start their own redis-server),
## the frontend's type check and unit tests, the browser end-to-end tests, brief fuzzing
test: lint-fast test-go test-frontend test-e2e fuzz

lint-fast:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test-go:
	$(GO) test -race -count=1 -timeout 8m ./...

test-frontend: frontend-deps
	cd $(FRONTEND) && $(NPM) run check && $(NPM) test

test-e2e: build
	cd $(FRONTEND) && PEJL_BIN=$(CURDIR)/$(BIN) $(NPM) run test:e2e

## screenshots: run the browser tests and keep their screenshots in docs/screenshots/
screenshots: build
	cd $(FRONTEND) && PEJL_SCREENSHOTS=1 PEJL_BIN=$(CURDIR)/$(BIN) $(NPM) run test:e2e
	PEJL_SCREENSHOTS=1 $(GO) test -count=1 -run TestRenderReportScreenshots ./internal/export/

## fuzz: a short run of each fuzz target, counted in executions: with a duration (-fuzztime 10s)
## Go 1.26's fuzz coordinator can fail a clean run with "context deadline exceeded" as the
## time runs out (fixed in Go 1.27); a count has no deadline to race
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 150000x ./internal/charter/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 40000x ./internal/live/

## lint: gofmt, go vet, staticcheck and the frontend type check
lint: lint-fast
	$(STATICCHECK) ./...
	cd $(FRONTEND) && $(NPM) run check

## vulncheck: govulncheck against an offline database built from the golang.org/x/vulndb
## module (cached per version); fails on a vulnerability in code that is called
vulncheck:
	GO=$(GO) ./scripts/vulncheck.sh

## bench: the full benchmarks (several minutes); results go to bench/results/
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./internal/memstore/ ./internal/redisstore/ ./internal/export/ | tee bench/results/go-bench.txt

## bench-smoke: a short load test (1,000 participants) on each engine; fails when a vote is
## lost, counted twice or applied out of order (the load generator's -check)
bench-smoke: build
	$(GO) run ./bench/loadgen -bin $(BIN) -participants 1000 -duration 10s -rounds 2
	$(GO) run ./bench/loadgen -bin $(BIN) -redis auto -participants 1000 -duration 10s -rounds 2

clean:
	rm -rf bin $(FRONTEND)/dist/assets $(FRONTEND)/dist/*.html
