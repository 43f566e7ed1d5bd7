"""The names of the settings each engine accepts, so that a misspelt `--knob` is refused
before anything starts (`check_knobs` in engines/server.py) instead of being recorded as
a setting the engine never had.

The embedded engines are asked (in process, in memory: nothing starts); the server
engines' lists were read from the images bakeoff pins, and say so: a server of another
version may know a name these lists lack (use the image's version, or report it).
"""

from __future__ import annotations

import contextlib

from bakeoff.engines.catalog import KnownSettings


def sqlite_pragmas() -> KnownSettings:
    import sqlite3

    with contextlib.closing(sqlite3.connect(":memory:")) as connection:
        names = frozenset(row[0].lower() for row in connection.execute("PRAGMA pragma_list"))
    return KnownSettings(names, f"SQLite {sqlite3.sqlite_version}: PRAGMA pragma_list")


def duckdb_settings() -> KnownSettings:
    import duckdb

    with duckdb.connect() as connection:
        rows = connection.execute("SELECT name FROM duckdb_settings()").fetchall()
    names = frozenset(str(row[0]).lower() for row in rows)
    return KnownSettings(names, f"DuckDB {duckdb.__version__}: duckdb_settings()")


def postgres_15() -> KnownSettings:
    # Settings of extensions are named class.name and cannot be listed ahead.
    return KnownSettings(
        _POSTGRES_15,
        "PostgreSQL 15: postgres --describe-config of the pinned image",
        dotted_names_open=True,
    )


def redis_7_0() -> KnownSettings:
    return KnownSettings(_REDIS_7_0, "Redis 7.0: CONFIG GET * of the pinned image")


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


_POSTGRES_15 = _names(
    """
archive_cleanup_command archive_command archive_library archive_mode archive_timeout
array_nulls authentication_timeout autovacuum autovacuum_analyze_scale_factor
autovacuum_analyze_threshold autovacuum_freeze_max_age autovacuum_max_workers
autovacuum_multixact_freeze_max_age autovacuum_naptime autovacuum_vacuum_cost_delay
autovacuum_vacuum_cost_limit autovacuum_vacuum_insert_scale_factor
autovacuum_vacuum_insert_threshold autovacuum_vacuum_scale_factor
autovacuum_vacuum_threshold autovacuum_work_mem backend_flush_after backslash_quote
bgwriter_delay bgwriter_flush_after bgwriter_lru_maxpages bgwriter_lru_multiplier
bonjour bonjour_name bytea_output check_function_bodies checkpoint_completion_target
checkpoint_flush_after checkpoint_timeout checkpoint_warning
client_connection_check_interval client_encoding client_min_messages cluster_name
commit_delay commit_siblings compute_query_id constraint_exclusion cpu_index_tuple_cost
cpu_operator_cost cpu_tuple_cost cursor_tuple_fraction data_directory data_sync_retry
datestyle db_user_namespace deadlock_timeout debug_pretty_print debug_print_parse
debug_print_plan debug_print_rewritten default_statistics_target
default_table_access_method default_tablespace default_text_search_config
default_toast_compression default_transaction_deferrable default_transaction_isolation
default_transaction_read_only dynamic_library_path dynamic_shared_memory_type
effective_cache_size effective_io_concurrency enable_async_append enable_bitmapscan
enable_gathermerge enable_hashagg enable_hashjoin enable_incremental_sort
enable_indexonlyscan enable_indexscan enable_material enable_memoize enable_mergejoin
enable_nestloop enable_parallel_append enable_parallel_hash enable_partition_pruning
enable_partitionwise_aggregate enable_partitionwise_join enable_seqscan enable_sort
enable_tidscan escape_string_warning event_source exit_on_error extension_destdir
external_pid_file extra_float_digits from_collapse_limit fsync full_page_writes geqo
geqo_effort geqo_generations geqo_pool_size geqo_seed geqo_selection_bias geqo_threshold
gin_fuzzy_search_limit gin_pending_list_limit hash_mem_multiplier hba_file hot_standby
hot_standby_feedback huge_page_size huge_pages ident_file
idle_in_transaction_session_timeout idle_session_timeout intervalstyle jit
jit_above_cost jit_inline_above_cost jit_optimize_above_cost jit_provider
join_collapse_limit krb_caseins_users krb_server_keyfile lc_messages lc_monetary
lc_numeric lc_time listen_addresses lo_compat_privileges local_preload_libraries
lock_timeout log_autovacuum_min_duration log_checkpoints log_connections log_destination
log_directory log_disconnections log_duration log_error_verbosity log_executor_stats
log_file_mode log_filename log_hostname log_line_prefix log_lock_waits
log_min_duration_sample log_min_duration_statement log_min_error_statement
log_min_messages log_parameter_max_length log_parameter_max_length_on_error
log_parser_stats log_planner_stats log_recovery_conflict_waits log_replication_commands
log_rotation_age log_rotation_size log_startup_progress_interval log_statement
log_statement_sample_rate log_statement_stats log_temp_files log_timezone
log_transaction_sample_rate log_truncate_on_rotation logging_collector
logical_decoding_work_mem maintenance_io_concurrency maintenance_work_mem
max_connections max_files_per_process max_locks_per_transaction
max_logical_replication_workers max_parallel_maintenance_workers max_parallel_workers
max_parallel_workers_per_gather max_pred_locks_per_page max_pred_locks_per_relation
max_pred_locks_per_transaction max_prepared_transactions max_replication_slots
max_slot_wal_keep_size max_stack_depth max_standby_archive_delay
max_standby_streaming_delay max_sync_workers_per_subscription max_wal_senders
max_wal_size max_worker_processes min_dynamic_shared_memory min_parallel_index_scan_size
min_parallel_table_scan_size min_wal_size old_snapshot_threshold output_plugin_libraries
parallel_leader_participation parallel_setup_cost parallel_tuple_cost
password_encryption plan_cache_mode port primary_conninfo primary_slot_name
promote_trigger_file quote_all_identifiers random_page_cost recovery_end_command
recovery_init_sync_method recovery_min_apply_delay recovery_prefetch recovery_target
recovery_target_action recovery_target_inclusive recovery_target_lsn
recovery_target_name recovery_target_time recovery_target_timeline recovery_target_xid
recursive_worktable_factor restart_after_crash restore_command row_security search_path
seq_page_cost session_preload_libraries session_replication_role shared_buffers
shared_memory_type shared_preload_libraries ssl ssl_ca_file ssl_cert_file ssl_ciphers
ssl_crl_dir ssl_crl_file ssl_dh_params_file ssl_ecdh_curve ssl_key_file
ssl_max_protocol_version ssl_min_protocol_version ssl_passphrase_command
ssl_passphrase_command_supports_reload ssl_prefer_server_ciphers
standard_conforming_strings statement_timeout stats_fetch_consistency
superuser_reserved_connections synchronize_seqscans synchronous_commit
synchronous_standby_names syslog_facility syslog_ident syslog_sequence_numbers
syslog_split_messages tcp_keepalives_count tcp_keepalives_idle tcp_keepalives_interval
tcp_user_timeout temp_buffers temp_file_limit temp_tablespaces timezone
timezone_abbreviations track_activities track_activity_query_size track_commit_timestamp
track_counts track_functions track_io_timing track_wal_io_timing transform_null_equals
unix_socket_directories unix_socket_group unix_socket_permissions update_process_title
vacuum_cost_delay vacuum_cost_limit vacuum_cost_page_dirty vacuum_cost_page_hit
vacuum_cost_page_miss vacuum_defer_cleanup_age vacuum_failsafe_age vacuum_freeze_min_age
vacuum_freeze_table_age vacuum_multixact_failsafe_age vacuum_multixact_freeze_min_age
vacuum_multixact_freeze_table_age wal_buffers wal_compression wal_decode_buffer_size
wal_init_zero wal_keep_size wal_level wal_log_hints wal_receiver_create_temp_slot
wal_receiver_status_interval wal_receiver_timeout wal_recycle
wal_retrieve_retry_interval wal_sender_timeout wal_skip_threshold wal_sync_method
wal_writer_delay wal_writer_flush_after work_mem xmlbinary xmloption
"""
)

_REDIS_7_0 = _names(
    """
acl-pubsub-default aclfile acllog-max-len active-defrag-cycle-max
active-defrag-cycle-min active-defrag-ignore-bytes active-defrag-max-scan-fields
active-defrag-threshold-lower active-defrag-threshold-upper active-expire-effort
activedefrag activerehashing always-show-logo aof-disable-auto-gc aof-load-truncated
aof-rewrite-incremental-fsync aof-timestamp-enabled aof-use-rdb-preamble
aof_rewrite_cpulist appenddirname appendfilename appendfsync appendonly
auto-aof-rewrite-min-size auto-aof-rewrite-percentage bgsave_cpulist bind
bind-source-addr bio_cpulist busy-reply-threshold client-output-buffer-limit
client-query-buffer-limit cluster-allow-pubsubshard-when-down
cluster-allow-reads-when-down cluster-allow-replica-migration cluster-announce-bus-port
cluster-announce-hostname cluster-announce-ip cluster-announce-port
cluster-announce-tls-port cluster-config-file cluster-enabled cluster-link-sendbuf-limit
cluster-migration-barrier cluster-node-timeout cluster-port
cluster-preferred-endpoint-type cluster-replica-no-failover
cluster-replica-validity-factor cluster-require-full-coverage cluster-slave-no-failover
cluster-slave-validity-factor crash-log-enabled crash-memcheck-enabled daemonize
databases dbfilename dir disable-thp dynamic-hz enable-debug-command
enable-module-command enable-protected-configs hash-max-listpack-entries
hash-max-listpack-value hash-max-ziplist-entries hash-max-ziplist-value
hll-sparse-max-bytes hz ignore-warnings io-threads io-threads-do-reads
jemalloc-bg-thread latency-monitor-threshold latency-tracking
latency-tracking-info-percentiles lazyfree-lazy-eviction lazyfree-lazy-expire
lazyfree-lazy-server-del lazyfree-lazy-user-del lazyfree-lazy-user-flush lfu-decay-time
lfu-log-factor list-compress-depth list-max-listpack-size list-max-ziplist-size logfile
loglevel lua-time-limit masterauth masteruser maxclients maxmemory maxmemory-clients
maxmemory-eviction-tenacity maxmemory-policy maxmemory-samples min-replicas-max-lag
min-replicas-to-write min-slaves-max-lag min-slaves-to-write no-appendfsync-on-rewrite
notify-keyspace-events oom-score-adj oom-score-adj-values pidfile port
proc-title-template propagation-error-behavior protected-mode proto-max-bulk-len
rdb-del-sync-files rdb-save-incremental-fsync rdbchecksum rdbcompression
repl-backlog-size repl-backlog-ttl repl-disable-tcp-nodelay repl-diskless-load
repl-diskless-sync repl-diskless-sync-delay repl-diskless-sync-max-replicas
repl-ping-replica-period repl-ping-slave-period repl-timeout replica-announce-ip
replica-announce-port replica-announced replica-ignore-disk-write-errors
replica-ignore-maxmemory replica-lazy-flush replica-priority replica-read-only
replica-serve-stale-data replicaof requirepass sanitize-dump-payload save server_cpulist
set-max-intset-entries set-proc-title shutdown-on-sigint shutdown-on-sigterm
shutdown-timeout slave-announce-ip slave-announce-port slave-ignore-maxmemory
slave-lazy-flush slave-priority slave-read-only slave-serve-stale-data slaveof
slowlog-log-slower-than slowlog-max-len socket-mark-id stop-writes-on-bgsave-error
stream-node-max-bytes stream-node-max-entries supervised syslog-enabled syslog-facility
syslog-ident tcp-backlog tcp-keepalive timeout tls-auth-clients tls-ca-cert-dir
tls-ca-cert-file tls-cert-file tls-ciphers tls-ciphersuites tls-client-cert-file
tls-client-key-file tls-client-key-file-pass tls-cluster tls-dh-params-file tls-key-file
tls-key-file-pass tls-port tls-prefer-server-ciphers tls-protocols tls-replication
tls-session-cache-size tls-session-cache-timeout tls-session-caching
tracking-table-max-keys unixsocket unixsocketperm zset-max-listpack-entries
zset-max-listpack-value zset-max-ziplist-entries zset-max-ziplist-value
"""
)
