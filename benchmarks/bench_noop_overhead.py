"""What the harness costs per operation: the selftest's no-op figure, and its parts.

Run: .venv/bin/python benchmarks/bench_noop_overhead.py [--runs 5] [--seconds 5] [--parts]

Each run is the trial of `noop_overhead` (what `bakeoff selftest` prints as
noop_us_per_op: workload A on the no-op adapter, one connection, wall time per operation)
in a fresh interpreter; the medians of that and of the client CPU per operation are
printed with the load average, since other processes on the machine inflate both (the
wall time most). `--parts` times the closed loop's three parts on their own, in this process,
by thread CPU time over a million operations each: drawing chunks
(`OperationStream.next_chunk`), recording (`record_chunk`, a few chunks at a time as the
loop does), and the rest: the loop around the adapter calls, the calls and clock reads,
and freeing each chunk's calls.

To compare two trees, alternate this script between them, e.g. with a second worktree:
    for i in 1 2 3 4 5; do
      PYTHONPATH=/tmp/old/src .venv/bin/python benchmarks/bench_noop_overhead.py --runs 1
      .venv/bin/python benchmarks/bench_noop_overhead.py --runs 1
    done
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from bakeoff.adapters.noop import NoopAdapter
from bakeoff.core.measures import Phase
from bakeoff.harness import loadgen
from bakeoff.harness.loadgen import LOOP_CLOCK, ConnectionState, record_chunk, run_closed_loop
from bakeoff.harness.operation_stream import GROWN_CHUNK, OperationStream
from bakeoff.harness.recorder import Recorder
from bakeoff.selftest.bakeoff_runs import MIXES, RECORDS, selftest_workload

OPERATIONS = 1_000_000
# Read so: trees from before the loop recorded several chunks at once run this too.
RECORDED_AT_ONCE: int = getattr(loadgen, "RECORDED_AT_ONCE", GROWN_CHUNK)


def fresh_run(seconds: float) -> tuple[float, float]:
    """(noop_us_per_op, client CPU µs per operation) of one fresh interpreter: the trial
    `noop_overhead` runs, with the CPU figure beside its wall-time one (CPU time suffers
    less from other processes on the machine)."""
    code = (
        "from bakeoff.harness.options import RunOptions\n"
        "from bakeoff.selftest import bakeoff_runs as b\n"
        f"w = b.selftest_workload('noop', b.MIXES['a'], b.RECORDS, {seconds})\n"
        "r = b.run_trial(w, b.NOOP_SPEC, b.NoopAdapter, b.NoopProvisioner(),\n"
        "                RunOptions(verify_sample=0))\n"
        "m = r.load_generator['measure']\n"
        "print(m['wall_s'] / m['operations'] * 1e6, m['client_cpu_per_op_us'])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    wall, cpu = out.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def stream() -> OperationStream:
    workload = selftest_workload("noop", MIXES["a"], RECORDS, 1.0)
    return OperationStream(workload, connection=0, connections=1, expected_operations=RECORDS)


def thread_ns_per_op(run: object, ops: int) -> float:
    assert callable(run)
    start = time.thread_time_ns()
    run()
    return (time.thread_time_ns() - start) / ops


def parts() -> dict[str, float]:
    adapter = NoopAdapter()
    batches = RECORDED_AT_ONCE // GROWN_CHUNK
    chunks = OPERATIONS // RECORDED_AT_ONCE * batches
    ops = chunks * GROWN_CHUNK

    s = stream()

    def draw() -> None:
        for _ in range(chunks):
            s.next_chunk(adapter, GROWN_CHUNK)

    drawing = thread_ns_per_op(draw, ops)

    s = stream()
    recorder = Recorder(list(s.operations), Phase.MEASURE, start_ns=time.perf_counter_ns())
    whole = thread_ns_per_op(
        lambda: run_closed_loop(
            adapter, s, recorder, ConnectionState(), operations=ops, deadline_ns=None
        ),
        ops,
    )

    s = stream()
    recorder = Recorder(list(s.operations), Phase.MEASURE, start_ns=0)
    op_indexes = bytearray(b"".join(s.next_chunk(adapter, GROWN_CHUNK)[0] for _ in range(batches)))
    base = LOOP_CLOCK()
    starts = [base + k * 800e-9 for k in range(RECORDED_AT_ONCE)]
    ends = [start + 250e-9 for start in starts]
    outcomes = bytearray(RECORDED_AT_ONCE)

    def record() -> None:  # as the closed loop does: a few chunks at a time
        for _ in range(chunks // batches):
            record_chunk(recorder, op_indexes, starts, ends, outcomes, RECORDED_AT_ONCE)

    recording = thread_ns_per_op(record, ops)
    return {
        "closed loop, whole": whole,
        "next_chunk": drawing,
        "record_chunk": recording,
        "the rest (loop, adapter, clock)": whole - drawing - recording,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--parts", action="store_true")
    args = parser.parse_args()
    import bakeoff

    print(f"tree: {os.path.dirname(bakeoff.__file__)}")
    if args.parts:
        for name, ns in parts().items():
            print(f"  {name:<34}{ns:8.1f} ns/op (thread CPU)")
    figures = [fresh_run(args.seconds) for _ in range(args.runs)]
    if not figures:
        return
    for i, name in enumerate(("noop_us_per_op", "client_cpu_us_per_op")):
        values = [f[i] for f in figures]
        shown = " ".join(f"{v:.3f}" for v in values)
        print(f"{name} median {statistics.median(values):.3f} ({shown})")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
