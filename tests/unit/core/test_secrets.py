"""The one redaction module: what looks secret, and secrets out of URLs, text, command
lines and known values."""

from __future__ import annotations

import time

import pytest

from bakeoff.core.secrets import (
    looks_secret,
    redact,
    redact_argv,
    redact_text,
    redact_url,
    url_secrets,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql+psycopg://bench:s3cr%40t@db:5432/x",
            "postgresql+psycopg://bench:***@db:5432/x",
        ),
        ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
        ("rediss://default:pw@cache:6380", "rediss://default:***@cache:6380"),
        (
            "mongodb://root:pw@h1:27017,h2:27017/db?authSource=admin",
            "mongodb://root:***@h1:27017,h2:27017/db?authSource=admin",
        ),
        # Reserved characters left unencoded in a password must not cut the redaction short.
        ("redis://:p#ss/w?rd@cache/0", "redis://:***@cache/0"),
        (
            "mysql+pymysql://u@h/db?password=pw&charset=utf8mb4&api_key=k",
            "mysql+pymysql://u@h/db?password=***&charset=utf8mb4&api_key=***",
        ),
        (
            "postgresql://u@h/db?sslmode=require&sslpassword=pw#frag",
            "postgresql://u@h/db?sslmode=require&sslpassword=***#frag",
        ),
        ("http://h/x?access%5Ftoken=t", "http://h/x?access%5Ftoken=***"),
        ("sqlite:///tmp/bench.db", "sqlite:///tmp/bench.db"),
        ("duckdb:///:memory:", "duckdb:///:memory:"),
        ("postgresql://bench@db/x", "postgresql://bench@db/x"),
        ("cassandra://db:9042", "cassandra://db:9042"),
        ("mysql://root:@db/x", "mysql://root:@db/x"),
        # A raw '@' in a password, as urlsplit and the drivers read it: no tail shows.
        ("redis://:p@ss@host/0", "redis://:***@host/0"),
        ("redis://:my pass@host/0", "redis://:***@host/0"),
        ("postgresql://u:a/b@c@h/db", "postgresql://u:***@h/db"),
        (
            "postgresql://u:pw@h/db?application_name=a@b",
            "postgresql://u:***@h/db?application_name=a@b",
        ),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_text_finds_urls_inside_messages() -> None:
    message = "connect to postgresql://u:pw1@h/db?token=abc failed; retry redis://:pw2@r"
    assert redact_text(message) == (
        "connect to postgresql://u:***@h/db?token=*** failed; retry redis://:***@r"
    )
    assert redact_text("nothing to hide: http://example.org/a?b=c") == (
        "nothing to hide: http://example.org/a?b=c"
    )


def test_redact_text_hides_a_password_with_a_raw_at_sign() -> None:
    message = "cannot reach redis://:p@ss@host/0 (and 1redis://u:p@w@h)"
    assert redact_text(message) == "cannot reach redis://:***@host/0 (and 1redis://u:***@h)"


# Text an error message may carry (a 2 MB workload name, a pasted blob): each of these took
# quadratic time, about 1.6 s at 40 KB and hours at 2 MB, while holding the GIL.
_LONG = 2_000_000


@pytest.mark.parametrize(
    "unit",
    ["a", "a1", "a://u:", "?a", "?a=", "x://", "a:b@", "&pw", "1a://"],
)
def test_redact_text_is_linear_on_long_text_without_whitespace(unit: str) -> None:
    text = unit * (_LONG // len(unit))
    started = time.perf_counter()
    redact_text(text)
    # Linear takes well under a second; quadratic would take minutes. The bound is loose
    # so that a busy shared machine does not fail the test.
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("x://a:b@" * 3, "x://a:***@" * 3),
        ("a://u:" * 3 + "pw@h", "a://u:***@h"),
        ("1http://u:pw@h", "1http://u:***@h"),
        ("??password=s&x=1", "??password=***&x=1"),
    ],
)
def test_redact_text_finds_passwords_among_repeats(message: str, expected: str) -> None:
    assert redact_text(message) == expected


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("password", True),
        ("PGPASSWORD", True),
        ("sslpassword", True),
        ("pwd", True),
        ("client_secret", True),
        ("auth-token", True),
        ("api_key", True),
        ("credentials", True),
        ("authSource", False),
        ("key_prefix", False),
        ("checks_passed", False),
        ("user", False),
    ],
)
def test_looks_secret(name: str, secret: bool) -> None:
    assert looks_secret(name) is secret


def test_url_secrets_give_every_spelling_of_the_password() -> None:
    found = url_secrets("redis://:p%40ss@cache:6379/0?token=t0k")
    assert {"p%40ss", "p@ss", "t0k"} <= set(found)
    assert redact("auth failed for p@ss (token t0k)", found) == "auth failed for *** (token ***)"


def test_redact_argv_hides_secret_options_and_url_passwords() -> None:
    argv = ["bakeoff", "run", "--password", "hunter2", "--api-key=k", "--url", "redis://:pw@h/0"]
    assert redact_argv(argv) == [
        "bakeoff",
        "run",
        "--password",
        "***",
        "--api-key=***",
        "--url",
        "redis://:***@h/0",
    ]


def test_the_one_list_of_secret_names_covers_ycsb_and_url_query_spellings() -> None:
    # "pass" alone (a URL query key some drivers accept) is secret; words containing it are not.
    assert looks_secret("pass") and looks_secret("passwd") and looks_secret("db.password")
    assert not looks_secret("passes") and not looks_secret("bypass_cache")
