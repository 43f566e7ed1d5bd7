"""Where a trial's worker processes run: the executor seam.

The runner asks its executor for client groups and hands every phase command to it
before the phase starts; everything else (the phases, the merge, the records) is the
same whichever executor runs the groups. `LocalExecutor` runs them on this machine (one
process: threads; several: spawned worker processes); `bakeoff.harness.ray_executor`
runs them as Ray actors over a cluster's nodes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bakeoff.harness.clients import ClientGroup, PhaseCommand, PhaseResult, ThreadClientGroup
from bakeoff.harness.ray_executor import RayExecutor
from bakeoff.harness.worker_process import ProcessClientGroup, SharedProgress


class Executor(Protocol):
    def groups(
        self, slices: Sequence[Sequence[int]], group_args: Mapping[str, Any], *, spawn: bool
    ) -> list[ClientGroup]:
        """One group per slice of connection indexes, each made from `group_args`
        (ThreadClientGroup's arguments besides `connections`); `spawn`: never as threads
        of this process, even for one slice."""

    def schedule(self, command: PhaseCommand) -> PhaseCommand:
        """The command as the groups are to start it (a cluster starts on a barrier)."""

    def placement(self, results: Mapping[int, PhaseResult]) -> dict[str, object]:
        """Where the groups ran and how busy each place was, for the phase's load
        report (nothing for this machine: its host is the run's host)."""

    def close(self) -> None:
        """Release what the executor holds across trials."""


class LocalExecutor:
    """Worker processes on this machine (one: threads of this process, unless told to
    spawn it)."""

    def groups(
        self, slices: Sequence[Sequence[int]], group_args: Mapping[str, Any], *, spawn: bool
    ) -> list[ClientGroup]:
        if len(slices) == 1 and not spawn:
            return [ThreadClientGroup(connections=slices[0], **group_args)]
        shared = SharedProgress(len(slices))
        return [
            ProcessClientGroup(slot, shared, connections=list(connections), **group_args)
            for slot, connections in enumerate(slices)
        ]

    def schedule(self, command: PhaseCommand) -> PhaseCommand:
        return command

    def placement(self, results: Mapping[int, PhaseResult]) -> dict[str, object]:
        return {}

    def close(self) -> None:
        pass


def executor_for(cluster: str | None) -> Executor:
    """This machine's executor, or a Ray cluster's for `--cluster ADDRESS`."""
    if cluster is None:
        return LocalExecutor()
    return RayExecutor(cluster)
