"""`bakeoff selftest`: how fast and how truthful is the load generator, measured.

A benchmark, not a test: it prints figures and their ratios to native peers measured in
the same run, on the same servers, from the same host:

- the harness's own cost per operation with a no-op adapter (key choice, dispatch,
  timing, recording);
- bakeoff against redis-benchmark and against `pgbench -S -M prepared`, at 1 and 8
  connections: throughput and p50 latency ratios, and client CPU per operation;
- the peak memory of a 10-minute run against a 1-minute run.

Like for like: the peers run the operations bakeoff's adapters issue. For Redis that is
HGETALL / HSET of a one-field hash (bakeoff stores records as hashes), driven through
redis-benchmark's custom-command mode over the same keys; for PostgreSQL it is a point
SELECT by primary key, prepared, over a table of the same size.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bakeoff.adapters.noop import NoopAdapter
from bakeoff.adapters.protocol import Endpoint
from bakeoff.adapters.registry import adapter_class
from bakeoff.core import histogram as hdr
from bakeoff.core.secrets import redact
from bakeoff.engines.base import ProvisionerBase
from bakeoff.engines.catalog import EngineSpec, Family, Provision, engine_spec
from bakeoff.engines.external import ExternalProvisioner
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.clients import usable_cores
from bakeoff.harness.options import RunOptions, split_connections
from bakeoff.harness.plan import Trial
from bakeoff.harness.runner import TrialRunner
from bakeoff.harness.trial import TrialRecord
from bakeoff.workloads.model import Workload

REDIS_RECORDS = 100_000
PG_RECORDS = 100_000  # pgbench scale 1
KEY_WIDTH = 12  # redis-benchmark's __rand_int__ is a 12-digit zero-padded number

Say = Callable[[str], None]


@dataclass(frozen=True)
class Measured:
    ops_per_s: float
    p50_us: float
    cpu_us_per_op: float


def _workload(name: str, mix: dict[str, float], records: int, duration_s: float) -> Workload:
    return Workload.model_validate(
        {
            "name": name,
            "records": records,
            "fields": {"count": 1, "length": {"distribution": "constant", "value": 100}},
            "operations": mix,
            "request_distribution": {"type": "uniform"},
            "insert_order": "ordered",
            "operation_count": None,
            "duration_s": duration_s,
            "seed": 7,
        }
    )


# -- the no-op harness ----------------------------------------------------------------

NOOP_SPEC = EngineSpec(
    name="noop",
    display_name="no-op adapter (harness only)",
    family=Family.KEY_VALUE,
    adapter="noop",
    provision=Provision.EMBEDDED,
    driver_modules=(),
    extra="(core)",
    url_scheme="noop",
)


class NoopProvisioner(ProvisionerBase):
    def start(self) -> Endpoint:
        return Endpoint(engine="noop", url="noop://", display_url="noop://", version="none")

    def stop(self) -> None:
        pass


def _run(
    workload: Workload,
    spec: EngineSpec,
    adapter: type[Any],
    provisioner: ProvisionerBase,
    options: RunOptions,
) -> TrialRecord:
    trial = Trial(0, 0, spec, workload, None, adapter)
    record = TrialRunner(options).run(trial, provisioner)
    if record.status != "ok":
        raise RuntimeError(f"{spec.name}: {record.error}")
    return record


def _measured(record: TrialRecord) -> Measured:
    rows = [
        r for r in record.rows if r.phase.value == "measure" and r.latency_kind.value == "service"
    ]
    merged = hdr.merge_encoded(r.histogram for r in rows)
    generator = record.load_generator["measure"]
    assert isinstance(generator, dict)
    return Measured(
        ops_per_s=float(generator["achieved_ops_per_s"]),
        p50_us=hdr.percentiles_us(merged)["p50_us"],
        cpu_us_per_op=float(generator["client_cpu_per_op_us"] or 0.0),
    )


def noop_overhead(duration_s: float) -> float:
    """µs per operation of the harness alone, one process, YCSB-A's mix."""
    workload = _workload("noop", {"read": 0.5, "update": 0.5}, 100_000, duration_s)
    # Nothing is stored, so there is nothing to verify.
    record = _run(workload, NOOP_SPEC, NoopAdapter, NoopProvisioner(), RunOptions(verify_sample=0))
    generator = record.load_generator["measure"]
    assert isinstance(generator, dict)
    return float(generator["wall_s"]) / int(generator["operations"]) * 1e6


def peak_rss_probe(duration_s: float) -> int:
    """Peak resident memory (bytes) of a fresh process running the no-op harness."""
    code = (
        "import resource, sys\n"
        "from bakeoff.selftest import noop_overhead\n"
        f"noop_overhead({duration_s})\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return int(out.strip().splitlines()[-1]) * 1024


# -- peers -------------------------------------------------------------------------------


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _host_port_password(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 0, parts.password or ""


def _peer(args: list[str], *, secret: str, env: dict[str, str] | None = None) -> str:
    """Run a native peer tool; its failure is reported with the password masked."""
    try:
        return subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout
    except FileNotFoundError:
        raise RuntimeError(
            f"{args[0]} is not installed (Debian: apt-get install redis-tools postgresql-client)"
        ) from None
    except subprocess.CalledProcessError as exc:
        detail = redact(f"{' '.join(args)}\n{exc.stdout[-400:]}{exc.stderr[-400:]}", [secret])
        raise RuntimeError(f"{args[0]} failed ({exc.returncode}): {detail}") from None


def redis_benchmark(endpoint: Endpoint, connections: int, requests: int) -> Measured:
    """HGETALL and HSET, each a separate redis-benchmark test, combined 50/50."""
    host, port, password = _host_port_password(endpoint.url)
    results: list[tuple[float, float]] = []
    cpu_before = _children_cpu()
    for command in (
        ["HGETALL", "usertable:user__rand_int__"],
        ["HSET", "usertable:user__rand_int__", "field0", "x" * 100],
    ):
        out = _peer(
            [
                *("redis-benchmark", "-h", host, "-p", str(port), "-a", password),
                *("-c", str(connections), "-n", str(requests // 2), "-r", str(REDIS_RECORDS)),
                *("-P", "1", "--csv", *command),
            ],
            secret=password,
        )
        row = list(csv.DictReader(io.StringIO(out)))[-1]
        results.append((float(row["rps"]), float(row["p50_latency_ms"]) * 1000))
    cpu = _children_cpu() - cpu_before
    # A 50/50 mix spends, per pair of operations, one GET time and one SET time.
    rate = 2 / sum(1 / r for r, _ in results)
    return Measured(rate, statistics.mean(p for _, p in results), cpu / requests * 1e6)


def pgbench(endpoint: Endpoint, connections: int, duration_s: float) -> Measured:
    host, port, password = _host_port_password(endpoint.url)
    env = {**os.environ, "PGPASSWORD": password}
    base = ["-h", host, "-p", str(port), "-U", "bakeoff"]
    _peer(
        ["pgbench", "-i", "-s", str(PG_RECORDS // 100_000), "-q", *base, "bakeoff"],
        secret=password,
        env=env,
    )
    with tempfile.TemporaryDirectory() as logs:
        cpu_before = _children_cpu()
        out = _peer(
            [
                *("pgbench", "-S", "-M", "prepared", "-c", str(connections)),
                *("-j", str(min(connections, usable_cores())), "-T", str(int(duration_s))),
                *("-l", "--log-prefix", str(Path(logs) / "pgbench"), *base, "bakeoff"),
            ],
            secret=password,
            env=env,
        )
        cpu = _children_cpu() - cpu_before
        latencies = [
            int(line.split()[2])
            for log in Path(logs).iterdir()
            for line in log.read_text(encoding="utf-8").splitlines()
        ]
    match = re.search(r"tps = ([0-9.]+)", out)
    if match is None:
        raise RuntimeError(f"pgbench printed no tps: {out[-500:]}")
    return Measured(float(match.group(1)), statistics.median(latencies), cpu / len(latencies) * 1e6)


def bakeoff_on(
    engine: str, endpoint: Endpoint, workload: Workload, connections: int
) -> tuple[Measured, str]:
    spec = engine_spec(engine)
    processes, clients = split_connections(connections, usable_cores())
    record = _run(
        workload,
        spec,
        adapter_class(spec.adapter),
        ExternalProvisioner(spec, endpoint.url),
        # Keep the records: the native peer runs next over the same keys.
        RunOptions(processes=processes, clients=clients, engine_options=EngineOptions(keep=True)),
    )
    generator = record.load_generator["measure"]
    assert isinstance(generator, dict)
    io = str(generator["client_io"]).partition(":")[0]
    return _measured(record), f"{processes} processes x {clients} clients, {io}"


# -- the whole selftest ---------------------------------------------------------------


def run_selftest(*, duration_s: float, memory_long_s: float, say: Say) -> dict[str, Any]:
    from bakeoff.engines.container import ContainerProvisioner
    from bakeoff.engines.images import local_image

    figures: dict[str, Any] = {"machine_cores": usable_cores(), "duration_s": duration_s}
    say("no-op harness overhead ...")
    figures["noop_us_per_op"] = noop_overhead(min(duration_s, 10.0))

    for engine in ("redis", "postgres"):
        image = os.environ.get(f"BAKEOFF_IMAGE_{engine.upper()}") or local_image(engine)
        with ContainerProvisioner(engine_spec(engine), image=image) as endpoint:
            figures[f"{engine}_version"] = endpoint.version
            for connections in (1, 8):
                if engine == "redis":
                    workload = _workload(
                        "selftest-redis", {"read": 0.5, "update": 0.5}, REDIS_RECORDS, duration_s
                    )
                else:
                    workload = _workload("selftest-pg", {"read": 1.0}, PG_RECORDS, duration_s)
                say(f"bakeoff on {engine}, {connections} connection(s) ...")
                ours, split = bakeoff_on(engine, endpoint, workload, connections)
                say(f"native peer on {engine}, {connections} connection(s) ...")
                if engine == "redis":
                    peer = redis_benchmark(
                        endpoint, connections, max(2000, int(ours.ops_per_s * duration_s))
                    )
                    prefix = "redis"
                else:
                    peer = pgbench(endpoint, connections, duration_s)
                    prefix = "pg"
                n = connections
                figures[f"{prefix}_bakeoff_{n}"] = asdict(ours)
                figures[f"{prefix}_native_{n}"] = asdict(peer)
                figures[f"{prefix}_split_{n}"] = split
                figures[f"{prefix}_ratio_{n}"] = ours.ops_per_s / peer.ops_per_s
                figures[f"{prefix}_p50_ratio_{n}"] = ours.p50_us / peer.p50_us
                figures[f"{prefix}_client_cpu_ratio_{n}"] = (
                    ours.cpu_us_per_op / peer.cpu_us_per_op if peer.cpu_us_per_op else None
                )
    figures["redis_client_cpu_ratio"] = figures["redis_client_cpu_ratio_1"]
    figures["pg_client_cpu_ratio"] = figures["pg_client_cpu_ratio_1"]

    short_s = memory_long_s / 10
    say(f"memory: {short_s:g} s run against a {memory_long_s:g} s run ...")
    rss_short = peak_rss_probe(short_s)
    rss_long = peak_rss_probe(memory_long_s)
    figures["memory_short_run_s"] = short_s
    figures["memory_long_run_s"] = memory_long_s
    figures["memory_peak_rss_short_mb"] = rss_short / 2**20
    figures["memory_peak_rss_long_mb"] = rss_long / 2**20
    figures["memory_ratio_10m_1m"] = rss_long / rss_short
    return figures


BARS: Sequence[tuple[str, str, float]] = (
    ("noop_us_per_op", "<=", 1.0),
    ("redis_ratio_1", ">=", 0.8),
    ("redis_ratio_8", ">=", 0.8),
    ("pg_ratio_1", ">=", 0.7),
    ("pg_ratio_8", ">=", 0.7),
    ("redis_client_cpu_ratio", "<=", 1.5),
    # The headline figure is at one connection; the same bar at eight, shown beside it.
    ("redis_client_cpu_ratio_8", "<=", 1.5),
    ("memory_ratio_10m_1m", "<=", 1.1),
)


def format_table(figures: dict[str, Any]) -> str:
    lines = [f"{'figure':34s} {'value':>12s}  bar"]
    for key, op, bar in BARS:
        value = figures.get(key)
        if value is None:
            lines.append(f"{key:34s} {'n/a':>12s}  {op} {bar}")
            continue
        met = value <= bar if op == "<=" else value >= bar
        lines.append(f"{key:34s} {value:12.3f}  {op} {bar}  {'met' if met else 'NOT MET'}")
    lines.append("")
    for prefix, peer in (("redis", "redis-benchmark"), ("pg", "pgbench -S -M prepared")):
        for n in (1, 8):
            ours, native = figures.get(f"{prefix}_bakeoff_{n}"), figures.get(f"{prefix}_native_{n}")
            if not ours or not native:
                continue
            lines.append(
                f"{prefix} {n} conn ({figures[f'{prefix}_split_{n}']}): bakeoff "
                f"{ours['ops_per_s']:,.0f} ops/s p50 {ours['p50_us']:.0f} µs "
                f"cpu {ours['cpu_us_per_op']:.1f} µs/op | {peer} {native['ops_per_s']:,.0f} ops/s "
                f"p50 {native['p50_us']:.0f} µs cpu {native['cpu_us_per_op']:.1f} µs/op"
            )
    lines.append(
        f"memory: {figures['memory_peak_rss_short_mb']:.0f} MB peak after "
        f"{figures['memory_short_run_s']:g} s, {figures['memory_peak_rss_long_mb']:.0f} MB after "
        f"{figures['memory_long_run_s']:g} s"
    )
    return "\n".join(lines)


def to_json(figures: dict[str, Any]) -> str:
    return json.dumps(figures, indent=2, sort_keys=True)


def _main() -> None:  # pragma: no cover - helper entry for `python -m`
    started = time.monotonic()
    figures = run_selftest(duration_s=10, memory_long_s=600, say=print)
    print(format_table(figures))
    print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    _main()
