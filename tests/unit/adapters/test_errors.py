"""The one message an adapter gives when its driver is missing, and the one pip line."""

from __future__ import annotations

from bakeoff.adapters.errors import ErrorKind, dbapi_exceptions, missing_driver, pip_install


def test_a_missing_driver_is_fatal_and_names_the_extra_to_install() -> None:
    error = missing_driver("redis", ModuleNotFoundError(name="redis"), "redis")

    assert error.kind is ErrorKind.FATAL
    assert str(error) == (
        "the driver for redis is not installed (redis): pip install 'bakeoff[redis]'"
    )
    generic = missing_driver("duckdb", ModuleNotFoundError(name="duckdb_engine"), None)
    assert str(generic).endswith("install bakeoff with the engine's extra")


def test_pip_line_names_each_extra_once_in_brackets() -> None:
    assert pip_install(["postgres", "containers", "postgres"]) == (
        "pip install 'bakeoff[containers,postgres]'"
    )
    assert pip_install(["(core)"]) == "pip install bakeoff"


def test_duckdb_write_conflicts_are_transient_behind_the_dialects_shim() -> None:
    # duckdb-engine hands SQLAlchemy a DBAPI shim and a connection wrapper, neither of
    # which carries DuckDB's OperationalError; a write-write conflict (DuckDB's optimistic
    # concurrency) must still count as transient, not end the trial.
    import duckdb
    import sqlalchemy as sa

    engine = sa.create_engine("duckdb:///:memory:", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            driver = connection.connection.driver_connection
            transient, errors = dbapi_exceptions(engine.dialect.loaded_dbapi, driver)
    finally:
        engine.dispose()
    assert issubclass(duckdb.TransactionException, transient)
    assert issubclass(duckdb.ConnectionException, errors)
