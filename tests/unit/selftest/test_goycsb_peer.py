"""go-ycsb as a selftest peer: configured like bakeoff's workload, its output read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bakeoff.adapters.protocol import Endpoint
from bakeoff.selftest.goycsb import (
    ENVIRONMENT,
    RUN_OPERATIONS,
    goycsb_binary,
    measured_from,
    parse_output,
    properties,
)

# go-ycsb v1.0.3's closing lines with outputstyle=json (a periodic summary before them).
OUTPUT = """\
Using request distribution 'uniform' a keyrange of [0 99999]
[{"50th(us)":"80","90th(us)":"120","95th(us)":"140","99th(us)":"300","99.9th(us)":"900",\
"99.99th(us)":"2000","Avg(us)":"90","Count":"10","Max(us)":"3000","Min(us)":"40",\
"OPS":"5.0","Operation":"TOTAL","Takes(s)":"2.0"}]
Got signal [interrupt] to exit.
**********************************************
Run finished, takes 10.0s
[{"50th(us)":"81","90th(us)":"120","95th(us)":"140","99th(us)":"310","99.9th(us)":"900",\
"99.99th(us)":"2000","Avg(us)":"90","Count":"50000","Max(us)":"3000","Min(us)":"40",\
"OPS":"5000.0","Operation":"READ","Takes(s)":"10.0"},\
{"50th(us)":"500","90th(us)":"500","95th(us)":"500","99th(us)":"500","99.9th(us)":"500",\
"99.99th(us)":"500","Avg(us)":"500","Count":"2","Max(us)":"500","Min(us)":"500",\
"OPS":"0.2","Operation":"READ_ERROR","Takes(s)":"10.0"},\
{"50th(us)":"79","90th(us)":"120","95th(us)":"140","99th(us)":"305","99.9th(us)":"900",\
"99.99th(us)":"2000","Avg(us)":"90","Count":"100000","Max(us)":"3000","Min(us)":"40",\
"OPS":"10000.0","Operation":"TOTAL","Takes(s)":"10.0"}]
"""


def test_the_last_summary_is_read_and_errors_are_kept_apart() -> None:
    run = measured_from(parse_output(OUTPUT), cpu_s=2.0)
    assert run.measured.ops_per_s == 10_000.0
    assert (run.measured.p50_us, run.measured.p99_us) == (79.0, 305.0)
    assert run.measured.cpu_us_per_op == pytest.approx(20.0)  # 2 s over 100,000 operations
    assert run.operations == 100_000
    assert run.errors == {"READ_ERROR": 2}


def test_no_summary_or_no_operation_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="no summary"):
        parse_output("panic: dial tcp: connection refused\n")
    empty = parse_output('[{"Operation":"READ_ERROR","Count":"3"}]')
    with pytest.raises(RuntimeError, match="no operation"):
        measured_from(empty, cpu_s=0.1)


def _settings(args: list[str]) -> dict[str, str]:
    assert args[::2] == ["-p"] * (len(args) // 2)
    return dict(arg.split("=", 1) for arg in args[1::2])


def test_it_runs_the_selftest_workload_over_the_same_keys() -> None:
    url = "postgresql://bakeoff:s3cret@127.0.0.1:5433/bakeoff"
    endpoint = Endpoint(engine="postgres", url=url, display_url=url)
    settings = _settings(properties("run", "postgres", endpoint, 100_000, {"read": 1.0}, 8))
    # bakeoff's keys: "user" + the index zero-padded to 12 digits, in table usertable.
    assert settings["keyprefix"] == "user" and settings["zeropadding"] == "12"
    assert settings["insertorder"] == "ordered" and settings["table"] == "usertable"
    assert settings["recordcount"] == "100000" and settings["threadcount"] == "8"
    assert (settings["fieldcount"], settings["fieldlength"]) == ("1", "100")
    assert settings["requestdistribution"] == "uniform"
    assert (settings["readproportion"], settings["updateproportion"]) == ("1.0", "0.0")
    assert int(settings["operationcount"]) == RUN_OPERATIONS  # bounded by time instead
    assert (settings["pg.host"], settings["pg.port"]) == ("127.0.0.1", "5433")
    assert (settings["pg.user"], settings["pg.password"], settings["pg.db"]) == (
        "bakeoff",
        "s3cret",
        "bakeoff",
    )
    assert settings["dropdata"] == "false"  # bakeoff's loaded table stays
    assert settings["debug.pprof"].startswith("127.0.0.1:")


def test_redis_loads_exactly_the_records() -> None:
    url = "redis://:pw@127.0.0.1:6380/0"
    endpoint = Endpoint(engine="redis", url=url, display_url=url)
    settings = _settings(properties("load", "redis", endpoint, 1000, {"read": 0.5}, 4))
    assert settings["operationcount"] == "1000"
    assert settings["redis.addr"] == "127.0.0.1:6380" and settings["redis.password"] == "pw"
    assert settings["redis.datatype"] == "hash"


def test_the_binary_comes_from_the_option_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENVIRONMENT, raising=False)
    assert goycsb_binary(None) is None
    binary = tmp_path / "go-ycsb"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setenv(ENVIRONMENT, str(binary))
    assert goycsb_binary(None) == binary
    other = tmp_path / "not-executable"
    other.write_text("")
    with pytest.raises(RuntimeError, match="not an executable"):
        goycsb_binary(str(other))
    assert os.access(binary, os.X_OK)
