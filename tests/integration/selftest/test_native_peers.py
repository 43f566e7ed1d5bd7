"""The selftest's native peers on a real PostgreSQL: pgbench running bakeoff's own point
read finds the rows bakeoff loaded, and measures."""

from __future__ import annotations

import shutil

import psycopg
import pytest

from bakeoff.selftest.bakeoff_runs import FIELD_LENGTH, MIXES, bakeoff_on, selftest_workload
from bakeoff.selftest.native import bakeoff_rows_script, pgbench_on_bakeoff_rows
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker

RECORDS = 1000


@pytest.mark.skipif(shutil.which("pgbench") is None, reason="no pgbench on this machine")
def test_pgbench_reads_the_rows_bakeoff_loaded(servers: ServerPool) -> None:
    endpoint = servers.endpoint("postgres")
    bakeoff_on("postgres", endpoint, selftest_workload("peer", MIXES["c"], RECORDS, 1.0), 2)

    script = bakeoff_rows_script(RECORDS)
    assert script.startswith(f"\\set k random(0, {RECORDS - 1})\n")
    select = script.splitlines()[1].replace(":k", "%s")
    url = endpoint.url.replace("postgresql+psycopg", "postgresql")
    try:
        with psycopg.connect(url) as conn:
            for index in (0, RECORDS - 1):
                (row,) = conn.execute(select, (index,)).fetchall()
                assert len(row[0]) == FIELD_LENGTH
        measured = pgbench_on_bakeoff_rows(endpoint, 2, 1.0, RECORDS)
        assert measured.ops_per_s > 0 and measured.p50_us > 0 and measured.cpu_us_per_op > 0
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS usertable")
