"""Whether a docker-proxy process carries a published port, read from /proc."""

from __future__ import annotations

from pathlib import Path

import pytest

from bakeoff.engines.forwarding import (
    KERNEL,
    UNKNOWN_NO_PROC,
    UNKNOWN_REMOTE,
    USERLAND_PROXY,
    dockerd_userland_proxy,
    port_forwarding,
)


def _process(proc: Path, pid: int, *argv: str) -> None:
    (proc / str(pid)).mkdir(parents=True)
    (proc / str(pid) / "cmdline").write_bytes("\0".join(argv).encode() + b"\0")


@pytest.fixture
def proc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    root = tmp_path / "proc"
    root.mkdir()
    (root / "self").mkdir()  # not a pid: skipped
    _process(root, 1, "/sbin/init")
    proxy = ("/usr/sbin/docker-proxy", "-proto", "tcp", "-host-ip", "127.0.0.1")
    _process(root, 4000, *proxy, "-host-port", "32768", "-container-port", "6379")
    return root


def test_a_docker_proxy_for_the_port_is_a_userland_copy(proc: Path) -> None:
    assert port_forwarding(32768, proc=proc) == USERLAND_PROXY


def test_a_proxy_for_another_port_does_not_count(proc: Path) -> None:
    assert port_forwarding(6379, proc=proc) == KERNEL  # 6379 is its container port
    assert port_forwarding(32769, proc=proc) == KERNEL


def test_without_proc_or_with_a_remote_daemon_it_is_unknown(
    proc: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert port_forwarding(32768, proc=proc / "absent") == UNKNOWN_NO_PROC
    monkeypatch.setenv("DOCKER_HOST", "tcp://build-box:2375")
    assert port_forwarding(32768, proc=proc) == UNKNOWN_REMOTE
    monkeypatch.setenv("DOCKER_HOST", "unix:///var/run/docker.sock")
    assert port_forwarding(32768, proc=proc) == USERLAND_PROXY


# -- dockerd's own setting, read before any container runs ------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("/usr/bin/dockerd", "--userland-proxy=false"), False),
        (("dockerd", "--userland-proxy", "false"), False),
        (("dockerd", "--userland-proxy=true", "--userland-proxy-path=/x"), True),
        (("dockerd", "-H", "fd://"), True),  # Docker's default
    ],
)
def test_dockerd_command_line_says_whether_the_userland_proxy_is_on(
    proc: Path, tmp_path: Path, argv: tuple[str, ...], expected: bool
) -> None:
    _process(proc, 900, *argv)
    on, source = dockerd_userland_proxy(proc=proc, config=tmp_path / "absent.json")
    assert on is expected, source


def test_daemon_json_is_read_when_the_command_line_does_not_say(proc: Path, tmp_path: Path) -> None:
    _process(proc, 900, "dockerd")
    config = tmp_path / "daemon.json"
    config.write_text('{"userland-proxy": false}')
    assert dockerd_userland_proxy(proc=proc, config=config) == (False, str(config))


def test_no_dockerd_in_sight_is_unknown(proc: Path, tmp_path: Path) -> None:
    on, why = dockerd_userland_proxy(proc=proc, config=tmp_path / "absent.json")
    assert on is None
    assert "no dockerd" in why
