#!/bin/sh
# Starts redis-server with the password from REDIS_PASSWORD. Arguments starting with "-"
# are server options (`--name value`) and come last, so they override the defaults
# below; anything else is run as a command instead of the server.
set -eu

case "${1:-}" in
    '' | -*) ;;
    *) exec "$@" ;;
esac

password=${REDIS_PASSWORD:-}
unset REDIS_PASSWORD
if [ -z "$password" ]; then
    echo "bakeoff-redis: REDIS_PASSWORD is empty; this image always requires a password" >&2
    exit 64
fi
# A line break would end the statement or config line it is embedded in below.
case "$password" in
    *'
'*)
        echo "bakeoff-redis: REDIS_PASSWORD must be a single line" >&2
        exit 64
        ;;
esac

# The password reaches the server as configuration on stdin ("-"), never in its argv,
# where `ps` inside the container would show it.
escaped=$(printf '%s' "$password" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
unset password

# Persistence is off unless a run asks for it: a benchmark of an in-memory cache should
# not silently include fork-and-dump pauses. protected-mode only guards password-less
# servers; the password above is what keeps the published port closed.
exec redis-server - \
    --bind '* -::*' \
    --protected-mode no \
    --dir /var/lib/redis \
    --save '' \
    --appendonly no \
    "$@" <<CONFIG
requirepass "$escaped"
CONFIG
