"""What each wire protocol object builds without a server: knob syntax and URLs."""

from __future__ import annotations

from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.mongo_wire import MONGO
from bakeoff.engines.redis_protocol import REDIS
from bakeoff.engines.sql_protocol import MYSQL, POSTGRES


def test_knobs_use_each_servers_syntax() -> None:
    knobs = {"a_b": "1", "c": "x y"}
    assert POSTGRES.knob_args(knobs) == ["-c", "a_b=1", "-c", "c=x y"]
    assert MYSQL.knob_args(knobs) == ["--a_b=1", "--c=x y"]
    assert MONGO.knob_args(knobs) == ["--a_b=1", "--c=x y"]
    assert REDIS.knob_args({"save": ""}) == ["--save", ""]
    for protocol in (POSTGRES, MYSQL, MONGO, REDIS):
        assert protocol.knob_env(knobs) == {}


def test_urls_carry_the_quoted_password_where_the_server_takes_one() -> None:
    def url(engine: str) -> str:
        spec = engine_spec(engine)
        assert spec.server is not None
        return spec.server.server_url(spec, "127.0.0.1", 5, "p@ss")

    assert url("postgres") == "postgresql+psycopg://bakeoff:p%40ss@127.0.0.1:5/bakeoff"
    assert url("mariadb") == "mysql+pymysql://bakeoff:p%40ss@127.0.0.1:5/bakeoff"
    assert url("redis") == "redis://:p%40ss@127.0.0.1:5/0"
    assert url("cassandra") == "cassandra://bakeoff:p%40ss@127.0.0.1:5/bakeoff"
    assert url("mongodb") == "mongodb://bakeoff:p%40ss@127.0.0.1:5/bakeoff?authSource=admin"
    # FerretDB's SQLite backend has no authentication.
    assert url("ferretdb") == "mongodb://127.0.0.1:5/bakeoff"
