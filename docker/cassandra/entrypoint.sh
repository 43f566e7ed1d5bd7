#!/bin/bash
# Starts Cassandra 5.0 in the foreground. The login role CASSANDRA_USER (default bakeoff)
# gets the password from CASSANDRA_PASSWORD: the server creates that role itself
# (EnvironmentRoleManager), so cassandra/cassandra never exists.
#
# Settings come through the environment variables the official image reads, so the
# provisioner treats both images alike:
#   MAX_HEAP_SIZE    -Xms and -Xmx (default 1g; the official image sizes it from RAM)
#   JVM_EXTRA_OPTS   more JVM options, e.g. -Dcassandra.settings.concurrent_reads=64
# Arguments starting with "-" are JVM options too, as with the official image's
# `cassandra -f`; anything else runs as a command instead of the server.
set -euo pipefail

case "${1:-}" in
    '' | -*) ;;
    *) exec "$@" ;;
esac

fail() {
    echo "bakeoff-cassandra: $*" >&2
    exit 64
}

export CASSANDRA_USER=${CASSANDRA_USER:-bakeoff}
[ -n "${CASSANDRA_PASSWORD:-}" ] || fail "CASSANDRA_PASSWORD is empty; this image always requires a password"
[[ "$CASSANDRA_USER" =~ ^[A-Za-z0-9_]+$ ]] || fail "CASSANDRA_USER must be letters, digits and _"

heap=${MAX_HEAP_SIZE:-1g}
[[ "$heap" =~ ^[1-9][0-9]*[kKmMgG]?$ ]] || fail "MAX_HEAP_SIZE '$heap' is not a JVM size such as 512m or 2g"
# Word splitting is the contract of JVM_EXTRA_OPTS (as in cassandra-env.sh): options with
# spaces inside cannot be passed this way.
read -r -a extra_options <<< "${JVM_EXTRA_OPTS:-}"

conf=/etc/cassandra
home=/opt/cassandra
mapfile -t jvm_options < <(grep -E '^-' "$conf/jvm17.options")
jamm=("$home"/lib/jamm-*.jar)

exec java \
    "${jvm_options[@]}" \
    "-Xms$heap" "-Xmx$heap" \
    "-javaagent:${jamm[0]}" \
    "-Dcassandra.config=file://$conf/cassandra.yaml" \
    "-Dlogback.configurationFile=$conf/logback.xml" \
    -Dcassandra.config.allow_system_properties=true \
    -Dcassandra.storagedir=/var/lib/cassandra \
    -Dcassandra.logdir=/var/log/cassandra \
    -Dcassandra-foreground=yes \
    -Djna.tmpdir=/var/lib/cassandra/tmp \
    -Djava.io.tmpdir=/var/lib/cassandra/tmp \
    -Dcassandra.skip_wait_for_gossip_to_settle=0 \
    -Dcassandra.superuser_setup_delay_ms=0 \
    "-Dcassandra.bakeoff.max_heap_size=$heap" \
    "${extra_options[@]}" \
    "$@" \
    -cp "$conf:$home/lib/*" \
    org.apache.cassandra.service.CassandraDaemon
