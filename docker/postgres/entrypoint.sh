#!/bin/sh
# Sets the bakeoff role's password from POSTGRES_PASSWORD, then becomes the server.
# Arguments starting with "-" are server options (`-c name=value`), as with the official
# image; anything else is run as a command instead of the server.
set -eu

case "${1:-}" in
    '' | -*) ;;
    *) exec "$@" ;;
esac

if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "bakeoff-postgres: POSTGRES_PASSWORD is empty; this image always requires a password" >&2
    exit 64
fi
case "$POSTGRES_PASSWORD" in
    *'
'*)
        echo "bakeoff-postgres: POSTGRES_PASSWORD must be a single line" >&2
        exit 64
        ;;
esac

# Done on every start, not only the first: a restarted container then answers to the
# password it was (re)started with. Single-user mode reads the statement from stdin, so
# the password never appears in a process list; the statement is kept out of the log
# even if it fails.
escaped=$(printf '%s' "$POSTGRES_PASSWORD" | sed "s/'/''/g")
printf "ALTER ROLE bakeoff PASSWORD '%s'\n" "$escaped" \
    | postgres --single -D "$PGDATA" -c log_min_error_statement=panic postgres > /dev/null
unset POSTGRES_PASSWORD escaped

exec postgres -D "$PGDATA" "$@"
