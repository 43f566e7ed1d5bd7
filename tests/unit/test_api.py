"""`--connections N`: the processes × clients split bakeoff picks."""

from __future__ import annotations

import pytest

from bakeoff.api import split_connections


@pytest.mark.parametrize(
    ("connections", "cores", "split"),
    [
        (1, 2, (1, 1)),
        (8, 2, (2, 4)),  # one process per core, the rest as threads
        (8, 4, (4, 2)),
        (7, 2, (1, 7)),  # a prime above the core count: one process, so P × C = N exactly
        (2, 8, (2, 1)),  # never more processes than connections
        (12, 8, (6, 2)),
    ],
)
def test_split_multiplies_out_with_at_most_one_process_per_core(
    connections: int, cores: int, split: tuple[int, int]
) -> None:
    assert split_connections(connections, cores) == split
    processes, clients = split
    assert processes * clients == connections
    assert processes <= cores
