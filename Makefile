# staticd — the only entry point for building, running and testing (CI runs `make test` via .ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := build

OUT       := out
BINARY    := $(OUT)/staticd
SRC       := $(shell find src -name '*.cs' -o -name '*.csproj') Directory.Build.props
DOTNET    ?= dotnet
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1

.PHONY: build run test format bench testssl h2spec fuzz deb e2e clean deps deps-test

## build: publish the Native AOT binary to out/staticd (trim/AOT warnings are errors)
build: $(BINARY)

$(BINARY): $(SRC) | deps
	$(DOTNET) publish src/StaticD -c Release -o $(OUT) -p:TreatWarningsAsErrors=true -nologo -v:q
	@rm -f $(OUT)/staticd.dbg
	@ls -l $(BINARY)

## run: build and serve sample-site/ on http://127.0.0.1:8080/ (and every other local address)
run: build
	StaticD__Root=$(CURDIR)/sample-site StaticD__Port=8080 $(BINARY) --config $(CURDIR)/appsettings.json

## test: every test — code format, unit tests, integration tests against the AOT binary, then the .deb on a booted
##       Debian (root; installs debootstrap and systemd-container); ends with "N passed, N failed, N skipped"
test: build format deps-test
	STATICD_BINARY=$(CURDIR)/$(BINARY) tests/all.sh

## format: the code follows .editorconfig (`dotnet format` fixes what this reports)
format: | deps
	@echo "== dotnet format --verify-no-changes"
	@$(DOTNET) format StaticD.sln --verify-no-changes -v q || { echo "format: run 'dotnet format StaticD.sln' and commit the result"; exit 1; }

## deb: build out/staticd_<version>-1_amd64.deb (lintian-clean)
deb: build
	packaging/build-deb.sh $(OUT)

## e2e: install the .deb on a booted Debian 12 (debootstrap + systemd-nspawn), drive it like a user; root only
e2e: build
	tests/e2e/run.sh

## bench: wrk against staticd and nginx/h2o/lighttpd, pinned with taskset (reports, never fails)
bench: build
	bench/run.sh

## testssl: testssl.sh (installed if missing) against staticd's HTTPS port with a test certificate; fails on a HIGH or
##          CRITICAL finding
testssl: build
	bench/testssl.sh

## h2spec: h2spec's whole suite (generic, http2, hpack) against staticd's HTTPS port over h2; h2spec is built on first
##         use from Debian's Go packages into /var/cache/staticd-h2spec (H2SPEC_SRC: its source, else cloned)
h2spec: build
	bench/h2spec.sh

## fuzz: coverage-guided fuzzing of the parser and path decoder with AFL++ (FUZZ_SECONDS, default 300)
FUZZ_SECONDS ?= 300
fuzz:
	tests/fuzz/run.sh $(FUZZ_SECONDS)

deps:
	@command -v $(DOTNET) >/dev/null || { echo "the .NET 10 SDK (dotnet) is required"; exit 1; }
	@command -v clang >/dev/null || command -v gcc >/dev/null || { echo "installing clang (Native AOT links with it)"; apt-get install -y --no-install-recommends clang; }

## deps-test: what the tests need beyond the build: promtool (Debian package prometheus) checks the /metrics output
deps-test:
	@tests/install-deps.sh

clean:
	rm -rf $(OUT) src/*/bin src/*/obj tests/*/bin tests/*/obj
