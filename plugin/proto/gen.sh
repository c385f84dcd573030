#!/bin/sh
# Regenerates the Go code of plugin/proto from its .proto files with
# Debian's protoc (package protobuf-compiler) and the protoc-gen-go and
# protoc-gen-go-grpc pinned in test/tools/go.mod. Run it through
# `go generate ./plugin` (or `make generate`) from anywhere in
# the repository; it works offline once the tools module is in the cache.
set -eu

want="libprotoc 3.21.12"
got=$(protoc --version 2>/dev/null || true)
if [ "$got" != "$want" ]; then
	echo "plugin/proto: need protoc \"$want\" (Debian bookworm: apt-get install -y protobuf-compiler), found \"${got:-none}\"" >&2
	echo "plugin/proto: the generated headers record the protoc version, so another one makes the drift check fail" >&2
	exit 1
fi

cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
tools="$root/test/tools/go.mod"
gen_go=$(cd "$root" && GOWORK=off go tool -modfile="$tools" -n protoc-gen-go)
gen_grpc=$(cd "$root" && GOWORK=off go tool -modfile="$tools" -n protoc-gen-go-grpc)

protoc -I . \
	--plugin=protoc-gen-go="$gen_go" \
	--plugin=protoc-gen-go-grpc="$gen_grpc" \
	--go_out=. --go_opt=paths=source_relative \
	--go-grpc_out=. --go-grpc_opt=paths=source_relative \
	discover/v1/provider.proto
