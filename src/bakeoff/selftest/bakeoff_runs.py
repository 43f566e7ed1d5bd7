"""The bakeoff side of the selftest: the workloads, the no-op harness, trials run on
the selftest's servers, and the memory probe."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from bakeoff.adapters.noop import NoopAdapter
from bakeoff.adapters.protocol import Endpoint
from bakeoff.adapters.registry import adapter_class
from bakeoff.core import histogram as hdr
from bakeoff.engines.base import ProvisionerBase
from bakeoff.engines.catalog import EngineSpec, Family, Provision, engine_spec
from bakeoff.engines.external import ExternalProvisioner
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.clients import usable_cores
from bakeoff.harness.options import RunOptions, split_connections
from bakeoff.harness.plan import Trial
from bakeoff.harness.runner import TrialRunner
from bakeoff.harness.trial import TrialRecord
from bakeoff.selftest.measured import Measured
from bakeoff.workloads.model import Workload

RECORDS = 100_000  # pgbench's scale 1, and as many Redis hashes
FIELD_LENGTH = 100
KEY_WIDTH = 12  # redis-benchmark's __rand_int__ is a 12-digit zero-padded number
TABLE = "usertable"
KEY_PREFIX = "user"

# YCSB's workload A (update heavy) and C (read only), one field per record.
MIXES: dict[str, dict[str, float]] = {
    "a": {"read": 0.5, "update": 0.5},
    "c": {"read": 1.0},
}


def selftest_workload(
    name: str, mix: dict[str, float], records: int, duration_s: float
) -> Workload:
    """One field of 100 bytes per record, uniform keys, keys `user` + 12 digits."""
    return Workload.model_validate(
        {
            "name": name,
            "records": records,
            "fields": {"count": 1, "length": {"distribution": "constant", "value": FIELD_LENGTH}},
            "operations": mix,
            "request_distribution": {"type": "uniform"},
            "insert_order": "ordered",
            "operation_count": None,
            "duration_s": duration_s,
            "seed": 7,
        }
    )


def run_trial(
    workload: Workload,
    spec: EngineSpec,
    adapter: type[Any],
    provisioner: ProvisionerBase,
    options: RunOptions,
) -> TrialRecord:
    """One trial, on a runner of its own (`run_with`)."""
    return run_with(TrialRunner(options), workload, spec, adapter, provisioner)


def run_with(
    runner: TrialRunner,
    workload: Workload,
    spec: EngineSpec,
    adapter: type[Any],
    provisioner: ProvisionerBase,
) -> TrialRecord:
    """One trial on `runner` (kept across trials with `reuse`, it reuses the table an
    earlier one loaded); raises unless the trial ended ok."""
    record = runner.run(Trial(0, 0, spec, workload, None, adapter), provisioner)
    if record.status != "ok":
        raise RuntimeError(f"{spec.name}: {record.error}")
    return record


def run_on(runner: TrialRunner, engine: str, endpoint: Endpoint, workload: Workload) -> TrialRecord:
    """One trial of `engine`, through its own adapter, against its server already running
    at `endpoint` (bakeoff neither starts nor stops it), on `runner`."""
    spec = engine_spec(engine)
    provisioner = ExternalProvisioner(spec, endpoint.url)
    return run_with(runner, workload, spec, adapter_class(spec.adapter), provisioner)


def measured_of(record: TrialRecord) -> Measured:
    rows = [
        r for r in record.rows if r.phase.value == "measure" and r.latency_kind.value == "service"
    ]
    percentiles = hdr.percentiles_us(hdr.merge_encoded(r.histogram for r in rows))
    generator = record.load_generator["measure"]
    assert isinstance(generator, dict)
    return Measured(
        ops_per_s=float(generator["achieved_ops_per_s"]),
        p50_us=percentiles["p50_us"],
        p99_us=percentiles["p99_us"],
        cpu_us_per_op=float(generator["client_cpu_per_op_us"] or 0.0),
    )


def bakeoff_on(
    engine: str, endpoint: Endpoint, workload: Workload, connections: int
) -> tuple[Measured, str]:
    """bakeoff's figures on a running server, and the split of its connections."""
    processes, clients = split_connections(connections, usable_cores())
    # Keep the records: a peer runs next over the same keys.
    options = RunOptions(
        processes=processes,
        clients=clients,
        auto_split=True,  # as `bakeoff run --connections` picks it
        engine_options=EngineOptions(keep=True),
    )
    record = run_on(TrialRunner(options), engine, endpoint, workload)
    generator = record.load_generator["measure"]
    assert isinstance(generator, dict)
    io = str(generator["client_io"]).partition(":")[0]
    ran = record.load_generator  # the split the trial ran, maybe regrouped
    split = f"{ran['processes']} processes x {ran['clients_per_process']} clients"
    return measured_of(record), f"{split}, {io}"


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


def noop_overhead(duration_s: float) -> float:
    """µs per operation of the harness alone, one process, YCSB-A's mix."""
    workload = selftest_workload("noop", MIXES["a"], RECORDS, duration_s)
    # Nothing is stored, so there is nothing to verify.
    options = RunOptions(verify_sample=0)
    record = run_trial(workload, NOOP_SPEC, NoopAdapter, NoopProvisioner(), options)
    generator = record.load_generator["measure"]
    assert isinstance(generator, dict)
    return float(generator["wall_s"]) / int(generator["operations"]) * 1e6


def peak_rss_probe(duration_s: float) -> int:
    """Peak resident memory (bytes) of a fresh process running the no-op harness."""
    code = (
        "import resource, sys\n"
        "from bakeoff.selftest.bakeoff_runs import noop_overhead\n"
        f"noop_overhead({duration_s})\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return int(out.strip().splitlines()[-1]) * 1024
