"""`bakeoff selftest`: how fast and how truthful is the load generator, measured.

A benchmark, not a test: it prints figures and their ratios to peers measured in the
same run, on the same servers, from the same host:

- the harness's own cost per operation with a no-op adapter (key choice, dispatch,
  timing, recording): `bakeoff_runs`;
- bakeoff against redis-benchmark and against `pgbench -S -M prepared` (`native`), at 1
  and 8 connections: throughput, p50 and p99 latency ratios, client CPU per operation;
- bakeoff against go-ycsb (`goycsb`), when a binary is named, on YCSB workloads A and C;
- how slow this machine's idle CPUs are to wake (`wakeup`), which one-connection
  figures depend on;
- the peak memory of a 10-minute run against a 1-minute run.

`run` runs them all; `table` judges them against the bars and prints them.
"""
