#!/bin/sh
# Builds the FerretDB launcher on the host, before `docker build` copies it into the
# image (bakeoff images build runs this with the recipe folder as working directory).
# Debian bookworm's Go (1.19, 1.23 in backports) is older than FerretDB v1.24 needs, and
# no registry serves a golang image here; the host's Go fetches the pinned toolchain
# below from the Go module proxy instead, so every machine compiles with the same one.
#
# usage: prepare.sh OUTPUT_DIR        (needs Go >= 1.21 on PATH and the Go module proxy)
set -eu

out=${1:?usage: prepare.sh OUTPUT_DIR}

if ! command -v go >/dev/null 2>&1; then
    echo "bakeoff-ferretdb: building this image needs Go (1.21 or later) on the host" >&2
    exit 127
fi

# The toolchain FerretDB v1.24 was released with (go 1.24), at its last patch release.
export GOTOOLCHAIN=go1.24.13
# Static, and identical for identical inputs: no cgo, no local paths, no VCS stamp of
# the bakeoff checkout (which would change the binary on every commit).
export CGO_ENABLED=0 GOOS=linux GOFLAGS=-mod=readonly

mkdir -p "$out"
go version
go build -trimpath -buildvcs=false -ldflags='-s -w' -o "$out/bakeoff-ferretdb" .
ls -l "$out/bakeoff-ferretdb"
