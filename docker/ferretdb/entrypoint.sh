#!/bin/sh
# Starts FerretDB. Arguments starting with "-" are server options (--sqlite-url=...,
# --log-level=...); anything else is run as a command instead of the server.
set -eu

case "${1:-}" in
    '' | -*) exec /usr/local/bin/bakeoff-ferretdb "$@" ;;
    *) exec "$@" ;;
esac
