#!/bin/sh
# Starts memcached in the foreground. Arguments starting with "-" are server options
# (`--name=value`) and come last, so they override the defaults below; anything else is
# run as a command instead of the server.
set -eu

case "${1:-}" in
    '' | -*) ;;
    *) exec "$@" ;;
esac

# Without --listen memcached binds every interface (IPv4 and, where the container has
# it, IPv6). It has no password to require: the provisioner publishes the port on
# 127.0.0.1 only (see ../README.md).
exec /usr/bin/memcached --port=11211 "$@"
