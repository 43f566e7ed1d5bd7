"""The neutral parts of a report section (paragraphs, tables, collapsed texts) that both
renderers, HTML and Markdown, lay out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""
    groups: frozenset[int] = frozenset()
    """Indices of rows that head a group of rows (their first cell is the heading)."""
    marked: frozenset[int] = frozenset()
    """Indices of rows to draw attention to (durability and consistency settings)."""


@dataclass(frozen=True)
class Section:
    slug: str
    heading: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    details: tuple[tuple[str, str], ...] = ()
    """Long texts shown collapsed in HTML (summary, preformatted text): raw query plans."""
