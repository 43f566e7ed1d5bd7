"""go-ycsb, the Go port of YCSB, as a peer: same servers, same workloads, alternated.

go-ycsb is configured like the selftest's workloads: as many records, one field of 100
bytes, uniform key choice over `user` + the index zero-padded to 12 digits (ordered
inserts), workloads A and C. On PostgreSQL it reads the rows bakeoff loaded (the same
table, key column and keys); on Redis it loads its own, because its binding names a
record `<table>/<key>` where bakeoff's is `<table>:<key>`.

v1.0.3 ignores its `maxexecutiontime` property (declared, never read), so a run is
bounded as bakeoff's is, by time: it is interrupted (SIGINT, which it handles by ending
its workers and printing its figures) after the selftest's duration.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bakeoff.adapters.protocol import Endpoint
from bakeoff.selftest.bakeoff_runs import FIELD_LENGTH, KEY_PREFIX, KEY_WIDTH, TABLE
from bakeoff.selftest.measured import (
    Measured,
    children_cpu_s,
    host_port_password,
    peer_failed,
)

ENVIRONMENT = "BAKEOFF_GO_YCSB"
"""Names a go-ycsb binary when `--go-ycsb` does not."""

_BINDING = {"redis": "redis", "postgres": "pg"}
_STOP_TIMEOUT_S = 30.0
RUN_OPERATIONS = 10**12  # more than any run completes before it is interrupted


def goycsb_binary(option: str | None) -> Path | None:
    """The go-ycsb binary named by `--go-ycsb` or BAKEOFF_GO_YCSB, if any; an error if
    the named file is not an executable."""
    named = option or os.environ.get(ENVIRONMENT)
    if not named:
        return None
    path = Path(named).expanduser()
    if not path.is_file() or not os.access(path, os.X_OK):
        raise RuntimeError(f"go-ycsb: {path} is not an executable file")
    return path


def properties(
    command: str,
    engine: str,
    endpoint: Endpoint,
    records: int,
    mix: dict[str, float],
    connections: int,
) -> list[str]:
    """go-ycsb's `-p name=value` settings for a selftest workload on `endpoint`."""
    host, port, password = host_port_password(endpoint.url)
    common = {
        "recordcount": records,
        # `load` inserts recordcount records; a run is bounded by time, not by this.
        "operationcount": records if command == "load" else RUN_OPERATIONS,
        "threadcount": connections,
        "table": TABLE,
        "keyprefix": KEY_PREFIX,
        "insertorder": "ordered",
        "zeropadding": KEY_WIDTH,
        "fieldcount": 1,
        "fieldlength": FIELD_LENGTH,
        "fieldlengthdistribution": "constant",
        "readallfields": "true",
        "writeallfields": "true",
        "requestdistribution": "uniform",
        "readproportion": mix.get("read", 0.0),
        "updateproportion": mix.get("update", 0.0),
        "insertproportion": 0,
        "scanproportion": 0,
        "readmodifywriteproportion": 0,
        "outputstyle": "json",
        "dropdata": "false",
        # Its profiling server listens on every interface at :6060 by default.
        "debug.pprof": "127.0.0.1:0",
    }
    if engine == "redis":
        binding: dict[str, object] = {
            "redis.addr": f"{host}:{port}",
            "redis.password": password,
            "redis.datatype": "hash",
        }
    else:
        binding = {
            "pg.host": host,
            "pg.port": port,
            "pg.user": "bakeoff",
            "pg.password": password,
            "pg.db": "bakeoff",
            "pg.sslmode": "disable",
        }
    settings = {**common, **binding}
    return [arg for name, value in settings.items() for arg in ("-p", f"{name}={value}")]


@dataclass(frozen=True)
class GoYcsbRun:
    measured: Measured
    operations: int
    # Failed operations by kind (READ_ERROR, ...): not in go-ycsb's throughput.
    errors: dict[str, int]


def parse_output(text: str) -> dict[str, dict[str, str]]:
    """go-ycsb's figures per operation kind (READ, UPDATE, TOTAL, READ_ERROR, ...), from
    the last JSON summary it printed (`outputstyle=json`)."""
    for line in reversed(text.splitlines()):
        if line.startswith("[{"):
            rows: list[dict[str, str]] = json.loads(line)
            return {row["Operation"]: row for row in rows}
    raise RuntimeError(f"go-ycsb printed no summary: {text[-500:]}")


def measured_from(summary: dict[str, dict[str, str]], cpu_s: float) -> GoYcsbRun:
    total = summary.get("TOTAL")
    if total is None or not int(total["Count"]):
        raise RuntimeError(f"go-ycsb completed no operation: {summary}")
    count = int(total["Count"])
    errors = {op: int(row["Count"]) for op, row in summary.items() if op.endswith("_ERROR")}
    measured = Measured(
        ops_per_s=float(total["OPS"]),
        p50_us=float(total["50th(us)"]),
        p99_us=float(total["99th(us)"]),
        cpu_us_per_op=cpu_s / count * 1e6,
    )
    return GoYcsbRun(measured, count, errors)


class GoYcsb:
    """One go-ycsb binary run against the selftest's servers."""

    def __init__(self, binary: Path) -> None:
        self.binary = binary

    def load(self, engine: str, endpoint: Endpoint, records: int, connections: int = 4) -> None:
        """Insert `records` records the way go-ycsb's `load` does (Redis only: on
        PostgreSQL it reads bakeoff's table)."""
        args = self._args("load", engine, endpoint, records, {"read": 1.0}, connections)
        secret = host_port_password(endpoint.url)[2]
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise peer_failed(args, done.returncode, done.stdout + done.stderr, secret)
        errors = measured_from(parse_output(done.stdout), 0.0).errors
        if errors:
            raise RuntimeError(f"go-ycsb load failed for some records: {errors}")

    def run(
        self,
        engine: str,
        endpoint: Endpoint,
        records: int,
        mix: dict[str, float],
        connections: int,
        duration_s: float,
    ) -> GoYcsbRun:
        args = self._args("run", engine, endpoint, records, mix, connections)
        secret = host_port_password(endpoint.url)[2]
        cpu_before = children_cpu_s()
        process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        try:
            out, _ = process.communicate(timeout=duration_s)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)
            out, _ = process.communicate(timeout=_STOP_TIMEOUT_S)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        cpu = children_cpu_s() - cpu_before
        if process.returncode not in (0, -signal.SIGINT):
            raise peer_failed(args, process.returncode, out, secret)
        return measured_from(parse_output(out), cpu)

    def _args(
        self,
        command: str,
        engine: str,
        endpoint: Endpoint,
        records: int,
        mix: dict[str, float],
        connections: int,
    ) -> list[str]:
        settings = properties(command, engine, endpoint, records, mix, connections)
        # --interval: no periodic summaries in between (they would cost it CPU).
        return [
            *(str(self.binary), command, _BINDING[engine]),
            *("--threads", str(connections), "--interval", "86400", *settings),
        ]


def as_figures(run: GoYcsbRun) -> dict[str, Any]:
    return {**asdict(run.measured), "operations": run.operations, "errors": run.errors}
