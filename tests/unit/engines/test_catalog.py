"""The engine catalog: which adapter an engine gets."""

from __future__ import annotations

from bakeoff.engines.catalog import engine_spec, spec_for_url


def test_a_url_with_another_driver_of_the_dialect_gets_the_generic_sql_adapter() -> None:
    postgres = engine_spec("postgres")
    assert spec_for_url(postgres, None).adapter == "postgres"
    assert spec_for_url(postgres, "postgresql+psycopg://u:p@h:5/db").adapter == "postgres"
    assert spec_for_url(postgres, "postgresql+pg8000://u:p@h:5/db").adapter == "sql"
    assert spec_for_url(engine_spec("mariadb"), "mysql+mysqldb://u:p@h/db").adapter == "sql"
    redis = engine_spec("redis")
    assert spec_for_url(redis, "rediss://:p@h:1/0") is redis
