# Kizukai developer targets. CI runs .ci/run, which does all of these.
PG ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable

.PHONY: build test test-pg race lint bench
build:
	go build -o bin/kizukai ./cmd/kizukai

test:
	go test ./...

test-pg:
	KIZUKAI_TEST_POSTGRES='$(PG)' KIZUKAI_REQUIRE_POSTGRES=1 go test ./...

race:
	KIZUKAI_TEST_POSTGRES='$(PG)' go test -race ./internal/db/... ./internal/jobs/... ./internal/app/... ./internal/customer/... ./internal/order/...

lint:
	gofmt -l . && go vet ./... && go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

bench:
	KIZUKAI_TEST_POSTGRES='$(PG)' go test -run='^$$' -bench=. -benchmem ./internal/order/ ./internal/jobs/
