"""What one reading of an engine's statistics costs: client CPU, the engine container's
CPU and wall time per reading, over 200 readings against a container of the project's
image, after 200 idle waits of 1 ms as a baseline of the container's own CPU.

Run (Docker and the engine images, `bakeoff images env`):
    python benchmarks/bench_statistics_reading.py [ENGINE]   (default: postgres)
"""

from __future__ import annotations

import resource
import statistics
import sys
import time

from bakeoff.adapters.statistics import statistics_source
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner

READINGS = 200


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    engine = sys.argv[1] if len(sys.argv) > 1 else "postgres"
    provisioner = ContainerProvisioner(engine_spec(engine))
    endpoint = provisioner.start()
    try:
        container = provisioner.telemetry_source()
        assert container is not None, "no container telemetry on this machine"
        source = statistics_source(engine, endpoint)
        assert source is not None, f"bakeoff reads no statistics of {engine}"

        def engine_cpu() -> float:
            values = {r.metric: r.value for r in container.read()}
            return values["container.cpu_user_s"] + values["container.cpu_system_s"]

        source.read()
        for label in ("idle", "reading"):
            engine_before, client_before = engine_cpu(), _client_cpu()
            walls = []
            for _ in range(READINGS):
                if label == "reading":
                    began = time.perf_counter()
                    source.read()
                    walls.append(time.perf_counter() - began)
                else:
                    time.sleep(0.001)
            engine_ms = (engine_cpu() - engine_before) / READINGS * 1e3
            client_ms = (_client_cpu() - client_before) / READINGS * 1e3
            wall = f", wall median {statistics.median(walls) * 1e3:.2f} ms" if walls else ""
            print(f"{label}: engine CPU {engine_ms:.3f} ms, client CPU {client_ms:.3f} ms{wall}")
        source.close()
    finally:
        provisioner.stop()


if __name__ == "__main__":
    main()
