# The two commands of the README: `make run` and `make test`.
GO ?= go

.PHONY: run test deps unit smoke bench build windows

deps:
	@bash scripts/deps.sh

# Opens the window on the default database; the first start creates it with demo data.
run: deps
	$(GO) run .

# Every test: unit and integration tests on real SQLite files, the headless
# widget tests, then the real window under Xvfb.
test: deps unit smoke

unit:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...

smoke:
	bash .ci/smoke-window.sh

bench:
	$(GO) run ./cmd/bench

build:
	$(GO) build -o jiuzhu .
	$(GO) build -o county ./cmd/county

windows:
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc $(GO) build -ldflags "-s -w -H=windowsgui" -o jiuzhu.exe .
