#!/bin/sh
# Builds Toxiproxy's server on the host, before `docker build` copies it into the image
# (bakeoff images build runs this with the recipe folder as working directory). No
# registry serves a golang image here; the host's Go fetches the pinned module from the
# Go module proxy instead.
#
# usage: prepare.sh OUTPUT_DIR        (needs Go >= 1.21 on PATH and the Go module proxy)
set -eu

out=${1:?usage: prepare.sh OUTPUT_DIR}

if ! command -v go >/dev/null 2>&1; then
    echo "bakeoff-toxiproxy: building this image needs Go (1.21 or later) on the host" >&2
    exit 127
fi

# Static, and identical for identical inputs: no cgo, no local paths, no VCS stamp.
export CGO_ENABLED=0 GOOS=linux GOFLAGS=-trimpath
mkdir -p "$out"
GOBIN=$(cd "$out" && pwd) go install -ldflags='-s -w' \
    github.com/Shopify/toxiproxy/v2/cmd/server@v2.5.0
mv "$out/server" "$out/toxiproxy-server"
ls -l "$out/toxiproxy-server"
