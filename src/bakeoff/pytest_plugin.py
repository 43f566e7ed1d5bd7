"""bakeoff's pytest plugin: regression benchmarks written as tests.

    def test_session_store_speed(bakeoff_engine):
        result = bakeoff_engine("postgres").run("ycsb-a", records=10_000, repeat=5)
        assert_no_regression("baselines/postgres-ycsb-a", result.path)

Every run lands as an ordinary bakeoff run folder under `--bakeoff-output` (default: a
folder of the session's temporary directory), so `bakeoff compare`, `bakeoff history add`
and `bakeoff report` take it as they take any other. `--bakeoff-benchmark-json FILE`
also writes all runs of the session in pytest-benchmark's JSON layout, one benchmark per
test × workload × engine × operation, for `pytest-benchmark compare` and the dashboards
that read those files.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from bakeoff.api import RunResult, run_benchmark
from bakeoff.engines.catalog import UnknownEngineError, engine_spec, missing_drivers
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.gate.compare import compare_paths
from bakeoff.gate.comparison import CompareOptions, Comparison
from bakeoff.harness.options import RunOptions
from bakeoff.report.build import ReportError, build_report
from bakeoff.report.exports import PYTEST_BENCHMARK_VERSION, benchmark_document
from bakeoff.workloads.model import Workload

__all__ = ["BakeoffEngine", "assert_no_regression"]


@dataclass
class _Recorded:
    nodeid: str
    test_name: str
    result: RunResult


@dataclass
class _Session:
    output: Path | None
    benchmark_json: Path | None
    runs: list[_Recorded] = field(default_factory=list)


_SESSION = pytest.StashKey[_Session]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bakeoff", "bakeoff database benchmarks")
    group.addoption(
        "--bakeoff-output",
        metavar="DIR",
        default=None,
        help="Folder for the run folders of bakeoff_engine runs (default: a folder of the "
        "session's temporary directory).",
    )
    group.addoption(
        "--bakeoff-benchmark-json",
        metavar="FILE",
        default=None,
        help="Also write every bakeoff run of the session as pytest-benchmark JSON.",
    )


def pytest_configure(config: pytest.Config) -> None:
    output = config.getoption("--bakeoff-output", default=None)
    bench = config.getoption("--bakeoff-benchmark-json", default=None)
    config.stash[_SESSION] = _Session(
        output=Path(output).resolve() if output else None,
        benchmark_json=Path(bench).resolve() if bench else None,
    )


class BakeoffEngine:
    """One engine, ready to run workloads against; each run provisions it afresh.

    A trial always gets a fresh engine (a new database file, or a new container) and
    fresh data, so runs of one test do not contaminate each other.
    """

    def __init__(
        self,
        name: str,
        *,
        output: Path,
        record: Callable[[RunResult], None],
        knobs: Mapping[str, str] | None = None,
        url: str | None = None,
        image: str | None = None,
        cpus: float | None = None,
        memory: str | None = None,
    ) -> None:
        self.spec = engine_spec(name)
        self.name = self.spec.name
        self._output = output
        self._record = record
        self._options = RunOptions(
            output=output,
            engine_options=EngineOptions(
                urls={self.name: url} if url else {},
                images={self.name: image} if image else {},
                knobs={self.name: dict(knobs)} if knobs else {},
                cpus=cpus,
                memory=memory,
            ),
        )

    def run(
        self, workload: str | Path | Workload, *, check: bool = True, **options: Any
    ) -> RunResult:
        """Run `workload` and write one run folder.

        `options` are `bakeoff run`'s, named as the fields of `RunOptions`
        (bakeoff.harness.options): `records`, `operations`, `duration_s`, `repeat`, `reuse`, `seed`,
        `processes`, `clients` (connections per process), `rate` (ops/s, an open loop),
        `arrival`, `split_phase`, `interval_s`. An unknown name is a TypeError.

        With `check` (the default) a failed trial fails the test, naming its error; a
        benchmark that measured a failure must not pass as a measurement.
        """
        result = run_benchmark(
            [workload],
            [self.name],
            replace(self._options, **options),
            command=["pytest", "bakeoff_engine", self.name, str(_workload_name(workload))],
        )
        self._record(result)
        if check and not result.ok:
            errors = "; ".join(
                f"trial {t.trial}: {t.error}" for t in result.trials if t.status != "ok"
            )
            pytest.fail(f"bakeoff run on {self.name} failed ({result.path}): {errors}")
        return result

    def __repr__(self) -> str:
        return f"BakeoffEngine({self.name!r})"


def _workload_name(workload: str | Path | Workload) -> str:
    return workload.name if isinstance(workload, Workload) else str(workload)


@pytest.fixture(scope="session")
def bakeoff_output(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The folder that receives this session's bakeoff run folders."""
    session = request.config.stash[_SESSION]
    if session.output is None:
        session.output = tmp_path_factory.mktemp("bakeoff-results", numbered=False)
    session.output.mkdir(parents=True, exist_ok=True)
    return session.output


@pytest.fixture
def bakeoff_engine(
    request: pytest.FixtureRequest, bakeoff_output: Path
) -> Callable[..., BakeoffEngine]:
    """A factory: `bakeoff_engine("sqlite")`, `bakeoff_engine("postgres", knobs={...})`.

    Keyword options: `knobs`, `url` (an existing server instead of a container),
    `image`, `cpus`, `memory`. An engine whose Python driver is missing fails the test
    with the pip command that installs it: a regression gate that skips is open.
    """
    session = request.config.stash[_SESSION]
    node = request.node

    def record(result: RunResult) -> None:
        session.runs.append(_Recorded(node.nodeid, node.name, result))

    def factory(name: str, **options: Any) -> BakeoffEngine:
        try:
            spec = engine_spec(name)
        except UnknownEngineError as exc:
            # Without the chained lookup error: the message says all there is.
            raise pytest.fail.Exception(str(exc), pytrace=False) from None
        missing = missing_drivers(spec)
        if missing:
            pytest.fail(
                f"engine {name!r} needs {', '.join(missing)}: pip install 'bakeoff[{spec.extra}]'"
            )
        return BakeoffEngine(name, output=bakeoff_output, record=record, **options)

    return factory


def assert_no_regression(
    baseline: Path | str,
    candidate: Path | str | RunResult,
    *,
    threshold: float = 0.05,
    max_cv: float = 0.10,
    metrics: Sequence[str] | None = None,
) -> Comparison:
    """Fail the test when `bakeoff compare BASELINE CANDIDATE` would exit 1.

    The baseline is a run folder, a results folder or a history store. Returns the
    comparison so a test can look further (unstable rows, improvements).
    """
    path = candidate.path if isinstance(candidate, RunResult) else Path(candidate)
    options = CompareOptions(threshold=threshold, max_cv=max_cv)
    if metrics:
        options = replace(options, metrics=tuple(metrics))
    comparison = compare_paths(Path(baseline), path, options)
    if comparison.exit_code:
        lines = [
            f"{r.engine}/{r.workload}/{r.operation} {r.metric}: {r.reason}"
            for r in comparison.regressions
        ]
        pytest.fail("performance regression:\n" + "\n".join(lines), pytrace=False)
    return comparison


# -- reporting -------------------------------------------------------------------------


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    session = config.stash.get(_SESSION, None)
    if session is None or not session.runs:
        return
    terminalreporter.section("bakeoff")
    for run in session.runs:
        status = "ok" if run.result.ok else "FAILED"
        terminalreporter.write_line(f"{run.nodeid}: {run.result.path} ({status})")
    if session.benchmark_json is not None:
        terminalreporter.write_line(f"pytest-benchmark JSON: {session.benchmark_json}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_SESSION, None)
    if state is None or state.benchmark_json is None:
        return
    document = benchmark_json(state.runs)
    state.benchmark_json.parent.mkdir(parents=True, exist_ok=True)
    state.benchmark_json.write_text(
        json.dumps(document, indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )


def benchmark_json(runs: Sequence[_Recorded]) -> dict[str, object]:
    """All runs as one pytest-benchmark document, each benchmark named after its test.

    The per-run documents come from `bakeoff.report.exports`; here they are merged, and
    each benchmark's name is prefixed with the test so two tests that run the same
    workload on the same engine stay apart.
    """
    merged: dict[str, object] = {}
    benchmarks: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for run in runs:
        try:
            document = benchmark_document(build_report([run.result.path], workers=1))
        except ReportError:
            continue  # no trial finished ok: nothing was measured
        if not merged:
            merged = {k: v for k, v in document.items() if k != "benchmarks"}
        for bench in _benchmarks(document):
            name = f"{run.test_name}::{bench['name']}"
            fullname = f"{run.nodeid}::{bench['fullname']}"
            seen[fullname] = seen.get(fullname, 0) + 1
            if seen[fullname] > 1:
                # pytest-benchmark compare keys on fullname; a second run of the same
                # workload in one test must not overwrite the first.
                name, fullname = f"{name}#{seen[fullname]}", f"{fullname}#{seen[fullname]}"
            extra = dict(_mapping(bench.get("extra_info")))
            extra.update({"test": run.nodeid, "run_dir": str(run.result.path)})
            benchmarks.append(
                {
                    **bench,
                    "group": f"{run.test_name}: {bench['group']}",
                    "name": name,
                    "fullname": fullname,
                    "extra_info": extra,
                    "stats": _finite_stats(_mapping(bench.get("stats"))),
                }
            )
    if not merged:
        merged = {"machine_info": {}, "commit_info": {}, "datetime": "", "version": ""}
        merged["version"] = PYTEST_BENCHMARK_VERSION
    return {**merged, "benchmarks": benchmarks}


def _benchmarks(document: Mapping[str, object]) -> list[dict[str, object]]:
    items = document.get("benchmarks")
    return [dict(b) for b in items if isinstance(b, Mapping)] if isinstance(items, list) else []


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _finite_stats(stats: Mapping[str, object]) -> dict[str, object]:
    # JSON cannot carry NaN, and pytest-benchmark's table cannot format None.
    return {
        k: (0.0 if isinstance(v, float) and not math.isfinite(v) else v) for k, v in stats.items()
    }
