#!/bin/sh
# Creates the bakeoff user with the password from MARIADB_PASSWORD (or MYSQL_PASSWORD),
# then becomes the server. Arguments starting with "-" are server options
# (`--name=value`), as with the official image; anything else is run as a command.
set -eu

case "${1:-}" in
    '' | -*) ;;
    *) exec "$@" ;;
esac

password=${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}
unset MARIADB_PASSWORD MYSQL_PASSWORD
if [ -z "$password" ]; then
    echo "bakeoff-mariadb: MARIADB_PASSWORD is empty; this image always requires a password" >&2
    exit 64
fi
# A line break would end the statement or config line it is embedded in below.
case "$password" in
    *'
'*)
        echo "bakeoff-mariadb: MARIADB_PASSWORD must be a single line" >&2
        exit 64
        ;;
esac

# Bootstrap mode reads SQL from stdin before the server opens its port, so the user
# exists by the time a client can connect, and the password stays out of every argv.
escaped=$(printf '%s' "$password" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")
printf "%s\n" \
    "FLUSH PRIVILEGES;" \
    "CREATE OR REPLACE USER 'bakeoff'@'%' IDENTIFIED BY '$escaped';" \
    "GRANT ALL PRIVILEGES ON bakeoff.* TO 'bakeoff'@'%';" \
    | mariadbd --bootstrap --datadir=/var/lib/mysql --log-warnings=0 --skip-networking
unset password escaped

exec mariadbd "$@"
