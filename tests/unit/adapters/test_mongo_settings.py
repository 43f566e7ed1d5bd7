"""The MongoDB adapter's pure parts: settings, projections, error kinds, versions."""

from __future__ import annotations

import pytest
from pymongo import errors as mx

from bakeoff.adapters.errors import FatalError, TransientError, UnsupportedError
from bakeoff.adapters.mongo import (
    client_kwargs,
    client_settings,
    projection,
    raise_translated,
    to_document,
)
from bakeoff.engines.mongo_wire import describe_version


def test_settings_layer_defaults_endpoint_and_options() -> None:
    assert client_settings({}, {}) == {"w": "1", "readPreference": "primary"}
    endpoint = {"w": "majority", "journal": "false", "fsync": "ignored", "log-level": "x"}
    assert client_settings(endpoint, {"journal": "true"}) == {
        "w": "majority",
        "journal": "true",
        "readPreference": "primary",
    }


def test_kwargs_have_pymongo_types() -> None:
    kwargs = client_kwargs({"w": "2", "journal": "True", "wTimeoutMS": "500"})
    assert kwargs == {"w": 2, "journal": True, "wTimeoutMS": 500}
    # A non-numeric w names a tag set or "majority" and stays a string.
    assert client_kwargs({"w": "majority"}) == {"w": "majority"}
    with pytest.raises(UnsupportedError, match="journal"):
        client_kwargs({"journal": "yes"})


def test_projection_and_documents() -> None:
    assert projection(None) is None
    assert projection([]) is None
    assert projection(["field1", "field3"]) == {"field1": 1, "field3": 1}
    assert to_document("k", {"a": "1"}) == {"_id": "k", "a": "1"}
    with pytest.raises(UnsupportedError):
        to_document("k", {"_id": "x"})


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (mx.AutoReconnect("connection closed"), TransientError),
        (mx.NetworkTimeout("timed out"), TransientError),
        (mx.NotPrimaryError("stepped down"), TransientError),
        (mx.DuplicateKeyError("E11000", code=11000), TransientError),
        (mx.OperationFailure("write conflict", code=112), TransientError),
        (mx.ExecutionTimeout("time limit", code=50), TransientError),
        (mx.ServerSelectionTimeoutError("no server"), FatalError),
        (mx.ConnectionFailure("refused"), FatalError),
        (mx.OperationFailure("Authentication failed.", code=18), FatalError),
        (mx.OperationFailure("not authorized", code=13), FatalError),
        (mx.ConfigurationError("bad option"), FatalError),
    ],
)
def test_error_kinds(error: Exception, kind: type[Exception]) -> None:
    with pytest.raises(kind) as raised:
        raise_translated(error)
    assert type(raised.value) is kind
    assert raised.value.__cause__ is error


def test_version_names_the_engine_that_answered() -> None:
    ferret = {"version": "7.0.42", "ferretdbVersion": "v1.24.2"}
    assert describe_version(ferret) == "FerretDB v1.24.2 (MongoDB 7.0.42 compatible)"
    assert describe_version({"version": "7.0.26"}) == "MongoDB 7.0.26"
