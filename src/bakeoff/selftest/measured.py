"""What the selftest measures of every tool, and what running a peer tool takes."""

from __future__ import annotations

import resource
import subprocess
from dataclasses import dataclass
from urllib.parse import urlsplit

from bakeoff.core.secrets import redact


@dataclass(frozen=True)
class Measured:
    """One tool's figures for one workload at one connection count."""

    ops_per_s: float
    p50_us: float
    p99_us: float
    # Client CPU (user + system) per operation: what the tool itself costs the machine.
    cpu_us_per_op: float


def children_cpu_s() -> float:
    """CPU seconds of every finished child process so far (a peer's, once waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def host_port_password(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 0, parts.password or ""


def peer_failed(args: list[str], returncode: int, output: str, secret: str) -> RuntimeError:
    """A peer tool's failure, its output's tail shown with the password masked."""
    detail = redact(f"{' '.join(args)}\n{output[-800:]}", [secret])
    return RuntimeError(f"{args[0]} failed ({returncode}): {detail}")


def run_peer(args: list[str], *, secret: str, env: dict[str, str] | None = None) -> str:
    """Run a native peer tool to its end; its standard output."""
    try:
        return subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout
    except FileNotFoundError:
        raise RuntimeError(
            f"{args[0]} is not installed (Debian: apt-get install redis-tools postgresql-client)"
        ) from None
    except subprocess.CalledProcessError as exc:
        raise peer_failed(args, exc.returncode, exc.stdout + exc.stderr, secret) from None


def ratio(ours: float, theirs: float) -> float | None:
    """ours / theirs, or None when the peer's figure is zero (nothing to compare)."""
    return ours / theirs if theirs else None
