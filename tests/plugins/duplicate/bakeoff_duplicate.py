"""An engine and an adapter whose names bakeoff's own already have."""

from __future__ import annotations

from dataclasses import replace

from bakeoff.adapters.sql import SqlAdapter
from bakeoff.engines.builtin.sqlite import SPEC as SQLITE

SPEC = replace(SQLITE, display_name="Another SQLite")


class SqlLookalike(SqlAdapter):
    pass
