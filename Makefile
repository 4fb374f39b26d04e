# nixproc: the two commands of the README (make demo, make test) and the
# usual targets. Every target that needs system packages installs what is
# missing first (as root on Debian), so a fresh machine needs nothing else.

PREFIX ?= /usr/local
GO ?= go
BIN := bin/nixproc

.PHONY: all build install deps demo test test-go lint bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/nixproc

# Installs the binary, a link per original tool name, and the Dysnomia
# modules under libexec/dysnomia.
install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/nixproc
	for tool in $$($(BIN) tools); do ln -sf nixproc $(DESTDIR)$(PREFIX)/bin/$$tool; done
	install -d $(DESTDIR)$(PREFIX)/libexec/dysnomia
	for module in $$($(BIN) dysnomia-modules); do ln -sf ../../bin/nixproc $(DESTDIR)$(PREFIX)/libexec/dysnomia/$$module; done

deps:
	scripts/install-deps.sh

demo: deps build
	scripts/demo.sh

test: deps build lint
	$(GO) test -race -count=1 -timeout 25m ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...

bench: deps build
	scripts/bench.sh

clean:
	rm -rf bin result
