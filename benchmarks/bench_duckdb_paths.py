"""Point reads on DuckDB three ways: SQLAlchemy Core execute, duckdb-engine's DBAPI
cursor, and DuckDB's own connection. Prints µs per read and the ratio to the native call.

Run: python benchmarks/bench_duckdb_paths.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

N = 3000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = sa.create_engine(f"duckdb:///{Path(tmp) / 'bench.duckdb'}")
        meta = sa.MetaData()
        t = sa.Table(
            "usertable",
            meta,
            sa.Column("k", sa.String(32), primary_key=True),
            sa.Column("f", sa.String(100)),
        )
        with engine.begin() as conn:
            meta.create_all(conn)
            conn.execute(t.insert(), [{"k": f"user{i}", "f": "x" * 100} for i in range(1000)])
        stmt = sa.select(t.c.f).where(t.c.k == sa.bindparam("k"))
        with engine.connect() as conn:
            results: dict[str, float] = {}

            def timed(label: str, call: Any) -> None:
                start = time.perf_counter()
                for i in range(N):
                    call(f"user{i % 1000}")
                results[label] = (time.perf_counter() - start) / N * 1e6

            timed("sqlalchemy Connection.execute", lambda k: conn.execute(stmt, {"k": k}).all())
            sql = "SELECT usertable.f FROM usertable WHERE usertable.k = $1"
            wrapped = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            timed(
                "duckdb-engine cursor", lambda k: (wrapped.execute(sql, (k,)), wrapped.fetchall())
            )
            native = conn.connection.driver_connection
            timed("duckdb native connection", lambda k: native.execute(sql, (k,)).fetchall())
        base = results["duckdb native connection"]
        for label, us in results.items():
            print(f"{label:32s} {us:8.1f} µs/read  {us / base:5.2f}x native")


if __name__ == "__main__":
    main()
