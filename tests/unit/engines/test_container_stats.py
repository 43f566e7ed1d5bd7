"""Reading a container's resource use from cgroup files laid out as the kernel does (v1 and
v2) and from Docker's stats answers of both kinds."""

from __future__ import annotations

from pathlib import Path

import pytest

from bakeoff.core.telemetry import MetricKind
from bakeoff.engines.container_stats import (
    UNITS,
    CgroupFiles,
    docker_stats_values,
    network_bytes,
)

NET_DEV = """Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs
    lo:     500       5    0    0    0     0          0         0      500       5    0
  eth0:    1806      19    0    0    0     0          0         0      912      11    0
"""
GROUP = "docker/abc123"


def _proc(tmp_path: Path, cgroup: str) -> Path:
    proc = tmp_path / "proc"
    (proc / "42" / "net").mkdir(parents=True)
    (proc / "42" / "cgroup").write_text(cgroup)
    (proc / "42" / "net" / "dev").write_text(NET_DEV)
    return proc


def _write(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)


def test_network_bytes_leave_loopback_out() -> None:
    assert network_bytes(NET_DEV) == {"container.net_rx_bytes": 1806, "container.net_tx_bytes": 912}


def test_cgroup_v2(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    _write(root, {"cgroup.controllers": "cpu io memory"})
    _write(
        root / GROUP,
        {
            "cpu.stat": "usage_usec 3500000\nuser_usec 2000000\nsystem_usec 1500000\n",
            "memory.stat": "anon 4096\nfile 8192\nkernel 12\n",
            "io.stat": "8:0 rbytes=100 wbytes=20 rios=1 wios=1\n8:16 rbytes=5 wbytes=0\n",
        },
    )
    files = CgroupFiles(42, root, _proc(tmp_path, f"0::/{GROUP}\n"))
    assert files.read_cpu()[0] == pytest.approx(3.5)
    assert files.read() == {
        "container.cpu_user_s": 2.0,
        "container.cpu_system_s": 1.5,
        "container.memory_anon_bytes": 4096,
        "container.memory_file_bytes": 8192,
        "container.io_read_bytes": 105,
        "container.io_write_bytes": 20,
        "container.net_rx_bytes": 1806,
        "container.net_tx_bytes": 912,
    }


def test_cgroup_v1(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    _write(
        root / "cpuacct" / GROUP,
        {
            "cpuacct.usage": "3000000000\n",
            "cpuacct.usage_user": "2000000000\n",
            "cpuacct.usage_sys": "1000000000\n",
        },
    )
    _write(root / "memory" / GROUP, {"memory.stat": "cache 8192\nrss 4096\n"})
    _write(
        root / "blkio" / GROUP,
        {
            "blkio.throttle.io_service_bytes_recursive": (
                "8:0 Read 100\n8:0 Write 20\n8:0 Total 120\nTotal 120\n"
            )
        },
    )
    cgroup = "".join(
        f"{n}:{c}:/{GROUP}\n" for n, c in enumerate(("cpu,cpuacct", "memory", "blkio"), 2)
    )
    files = CgroupFiles(42, root, _proc(tmp_path, cgroup + "0::/\n"))
    assert files.read_cpu()[0] == pytest.approx(3.0)
    assert files.read() == {
        "container.cpu_user_s": 2.0,
        "container.cpu_system_s": 1.0,
        "container.memory_anon_bytes": 4096,
        "container.memory_file_bytes": 8192,
        "container.io_read_bytes": 100,
        "container.io_write_bytes": 20,
        "container.net_rx_bytes": 1806,
        "container.net_tx_bytes": 912,
    }


def test_no_cgroup_is_refused_up_front(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        CgroupFiles(42, tmp_path / "cgroup", _proc(tmp_path, "0::/gone\n"))


def test_the_root_group_is_never_taken_for_the_container(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    _write(root, {"cgroup.controllers": "cpu", "cpu.stat": "usage_usec 1\n"})
    with pytest.raises(FileNotFoundError):  # then Docker's stats are read instead
        CgroupFiles(42, root, _proc(tmp_path, "0::/\n"))


def test_docker_stats_v1_and_v2_answers() -> None:
    common = {
        "cpu_stats": {"cpu_usage": {"usage_in_usermode": 2e9, "usage_in_kernelmode": 1e9}},
        "networks": {"eth0": {"rx_bytes": 10, "tx_bytes": 4}},
    }
    v1 = docker_stats_values(
        {
            **common,
            "memory_stats": {"stats": {"rss": 4096, "cache": 8192}},
            "blkio_stats": {
                "io_service_bytes_recursive": [
                    {"op": "Read", "value": 100},
                    {"op": "Write", "value": 20},
                    {"op": "Total", "value": 120},
                ]
            },
        }
    )
    v2 = docker_stats_values(
        {
            **common,
            "memory_stats": {"stats": {"anon": 4096, "file": 8192}},
            "blkio_stats": {
                "io_service_bytes_recursive": [
                    {"op": "read", "value": 100},
                    {"op": "write", "value": 20},
                ]
            },
        }
    )
    assert (
        v1
        == v2
        == {
            "container.cpu_user_s": 2.0,
            "container.cpu_system_s": 1.0,
            "container.memory_anon_bytes": 4096,
            "container.memory_file_bytes": 8192,
            "container.io_read_bytes": 100,
            "container.io_write_bytes": 20,
            "container.net_rx_bytes": 10,
            "container.net_tx_bytes": 4,
        }
    )


def test_a_metric_docker_does_not_give_is_absent() -> None:
    assert docker_stats_values({"blkio_stats": {"io_service_bytes_recursive": None}}) == {}


def test_units_and_kinds() -> None:
    assert UNITS["container.memory_anon_bytes"] == ("bytes", MetricKind.GAUGE)
    assert UNITS["container.cpu_user_s"] == ("s", MetricKind.COUNTER)


def test_files_kept_open_are_read_afresh_and_reopened_after_close(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    _write(root, {"cgroup.controllers": "cpu"})
    stat = "usage_usec {}\nuser_usec {}\nsystem_usec 0\n"
    _write(root / GROUP, {"cpu.stat": stat.format(1, 1), "memory.stat": "anon 1\n"})
    files = CgroupFiles(42, root, _proc(tmp_path, f"0::/{GROUP}\n"))
    assert files.read()["container.cpu_user_s"] == pytest.approx(1e-6)
    (root / GROUP / "cpu.stat").write_text(stat.format(2_000_000, 2_000_000))
    assert files.read()["container.cpu_user_s"] == pytest.approx(2.0)
    files.files.close()
    assert files.read_cpu()[0] == pytest.approx(2.0)
    files.files.close()
