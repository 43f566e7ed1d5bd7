"""Turning a YCSB workload properties file into a bakeoff workload.

Only YCSB's CoreWorkload properties are translated. Absent properties take CoreWorkload's
defaults (note: readproportion 0.95 and updateproportion 0.05 apply even when a file sets
other proportions, exactly as in YCSB), with these deliberate differences:

* YCSB's ``requestdistribution=zipfian`` is its *scrambled* zipfian (CoreWorkload builds a
  ScrambledZipfianGenerator for it), so it becomes ``scrambled_zipfian``; bakeoff's own
  ``zipfian`` keeps the lowest key numbers hottest and has no YCSB spelling.
* YCSB weighs the proportions relative to their sum; bakeoff requires a sum of 1, so they are
  scaled, and a note says so.
* YCSB's "0 = unlimited" for recordcount and operationcount cannot be run by bakeoff: an
  absent value becomes 1000 (with a note), an explicit 0 is an error unless
  maxexecutiontime bounds the run.
* Booleans must be ``true`` or ``false``: Java would silently read ``yes`` as false.

Client settings (``db``, ``threadcount``, measurement options, ...) are understood but are no
part of a bakeoff workload; they are reported as ignored, with the reason. Anything else is
reported as unknown, with its value (redacted if the name suggests a secret).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bakeoff.core.operations import BY_NAME, OPERATIONS, Argument
from bakeoff.workloads.errors import WorkloadError, describe_error, model_path
from bakeoff.workloads.model import Workload
from bakeoff.workloads.properties import PropertyReader, parse_properties, shown

__all__ = ["ImportResult", "import_ycsb_properties", "workload_to_yaml"]


@dataclass(frozen=True)
class ImportResult:
    workload: Workload
    unknown: list[str]  # "name=value (line N)" for properties bakeoff does not understand
    ignored: list[str]  # "name=value (line N): why" for understood but inapplicable ones
    notes: list[str] = field(default_factory=list)  # where YCSB semantics needed adapting


# -- YCSB's vocabulary ---------------------------------------------------------------

_CORE_WORKLOAD_CLASSES = frozenset(
    {"com.yahoo.ycsb.workloads.CoreWorkload", "site.ycsb.workloads.CoreWorkload"}
)

# YCSB property -> operation name.
_PROPORTIONS: dict[str, str] = {
    op.ycsb_property: op.name for op in OPERATIONS if op.ycsb_property is not None
}
_DEFAULT_PROPORTIONS = {"readproportion": 0.95, "updateproportion": 0.05}

# YCSB's request distribution name -> bakeoff's key distribution type.
_REQUEST_DISTRIBUTIONS = {
    "uniform": "uniform",
    "zipfian": "scrambled_zipfian",  # CoreWorkload's zipfian is the scrambled generator
    "latest": "latest",
    "hotspot": "hotspot",
    "sequential": "sequential",
    "exponential": "exponential",
}

_MEASUREMENT = "bakeoff always records latencies in HDR histograms of its own"
_RESULTS = "bakeoff writes its own result files"
_PARTITIONED = "bakeoff loads the whole key space itself; YCSB's partitioned loads do not apply"
_RETRIES = "insert retries are not part of a bakeoff workload"
_CLIENT_SETTINGS = {
    "db": "the engine is chosen on bakeoff's command line, not in the workload",
    "exporter": _RESULTS,
    "exportfile": _RESULTS,
    "threadcount": "client concurrency is a run setting, not part of a bakeoff workload",
    "target": "target throughput is a run setting, not part of a bakeoff workload",
    "dotransactions": "bakeoff runs the load and transaction phases itself",
    "status.interval": "bakeoff reports progress itself",
    "measurementtype": _MEASUREMENT,
    "histogram.buckets": _MEASUREMENT,
    "timeseries.granularity": _MEASUREMENT,
    "insertstart": _PARTITIONED,
    "insertcount": _PARTITIONED,
    "core_workload_insertion_retry_limit": _RETRIES,
    "core_workload_insertion_retry_interval": _RETRIES,
    "dataintegrity": "checking the values read is not part of a bakeoff workload",
}
_CLIENT_PREFIXES = {"measurement.": _MEASUREMENT, "hdrhistogram.": _MEASUREMENT}

# Where a validation error on the assembled workload came from, by its field path.
_SOURCE_PROPERTY: dict[tuple[int | str, ...], str] = {
    ("records",): "recordcount",
    ("operation_count",): "operationcount",
    ("duration_s",): "maxexecutiontime",
    ("table",): "table",
    ("fields", "count"): "fieldcount",
    ("fields", "prefix"): "fieldnameprefix",
    ("fields", "length"): "fieldlength",
    ("fields", "length", "value"): "fieldlength",
    ("fields", "length", "max"): "fieldlength",
    ("fields", "length", "min"): "minfieldlength",
    ("scan_length",): "maxscanlength",
    ("scan_length", "max"): "maxscanlength",
    ("scan_length", "min"): "minscanlength",
    ("request_distribution", "hot_data_fraction"): "hotspotdatafraction",
    ("request_distribution", "hot_operation_fraction"): "hotspotopnfraction",
    ("request_distribution", "percentile"): "exponential.percentile",
    ("request_distribution", "fraction"): "exponential.frac",
    **{("operations", op): key for key, op in _PROPORTIONS.items()},
}


# -- the import ----------------------------------------------------------------------


def import_ycsb_properties(path: Path, *, name: str | None = None) -> ImportResult:
    """Translate a YCSB CoreWorkload properties file; invalid values raise `WorkloadError`.

    `name` defaults to the file's stem, made fit for a workload name.
    """
    try:
        text = path.read_text(encoding="latin-1")  # Java's Properties.load(InputStream)
    except OSError as exc:
        raise WorkloadError(path, None, "", f"cannot read file: {exc.strerror or exc}") from None
    return _Importer(path, parse_properties(text)).run(name or _name_from(path))


def _name_from(path: Path) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem).lstrip("_.-")
    return cleaned or "imported"


class _Importer(PropertyReader):
    # -- the workload ----------------------------------------------------------------

    def run(self, name: str) -> ImportResult:
        unknown: list[tuple[int, str]] = []
        workload_class = self.get("workload")
        if (
            workload_class is not None
            and workload_class.value.strip() not in _CORE_WORKLOAD_CLASSES
        ):
            why = f"{shown(workload_class)} (only YCSB's CoreWorkload is understood)"
            unknown.append((workload_class.line, why))

        operation_count, duration_s = self.stop_condition()
        data: dict[str, Any] = {
            "name": name,
            "description": f"Imported from YCSB properties file {self.path.name}",
            "table": self.text("table", "usertable"),
            "records": self.records(),
            "fields": self.fields(),
            "operations": self.operations(),
            "request_distribution": self.request_distribution(),
            "read_all_fields": self.boolean("readallfields", True),
            "write_all_fields": self.boolean("writeallfields", False),
            "insert_order": self.choice("insertorder", "hashed", ("hashed", "ordered")),
            "operation_count": operation_count,
            "duration_s": duration_s,
        }
        scan_length = self.scan_length(data["operations"])
        if scan_length is not None:
            data["scan_length"] = scan_length
        if self.integer("zeropadding", 1, minimum=1) != 1:
            self.used.discard("zeropadding")
            self.ignore("zeropadding", "bakeoff does not zero-pad the numbers in its keys")

        for key, why in _CLIENT_SETTINGS.items():
            self.ignore(key, why)
        for key in list(self.props):
            for prefix, why in _CLIENT_PREFIXES.items():
                if key.startswith(prefix):
                    self.ignore(key, why)
        unknown.extend(
            (entry.line, shown(entry)) for key, entry in self.props.items() if key not in self.used
        )

        if self.errors:
            raise WorkloadError.collect(self.errors)
        try:
            workload = Workload.model_validate(data)
        except ValidationError as exc:
            raise WorkloadError.collect([self.located(err) for err in exc.errors()]) from None
        return ImportResult(
            workload=workload,
            unknown=[text for _, text in sorted(unknown)],
            ignored=[text for _, text in sorted(self.ignored)],
            notes=self.notes,
        )

    def located(self, err: Any) -> WorkloadError:
        path = model_path(err["loc"])
        key = _SOURCE_PROPERTY.get(path)
        if key is None:
            return WorkloadError(self.path, None, ".".join(map(str, path)), describe_error(err))
        entry = self.props.get(key)
        line = None if entry is None else entry.line
        return WorkloadError(self.path, line, key, describe_error(err))

    def records(self) -> int:
        if "recordcount" not in self.props:
            self.notes.append(
                "recordcount is not set; YCSB's default (0) means an unbounded key space, "
                "so bakeoff's default of 1000 is used"
            )
        return self.integer("recordcount", 1000)

    def stop_condition(self) -> tuple[int | None, float | None]:
        operations = self.integer("operationcount", 0, minimum=0)
        seconds = self.integer("maxexecutiontime", 0, minimum=0)
        operation_count = operations or None
        duration_s = float(seconds) if seconds else None
        if operation_count is None and duration_s is None:
            if "operationcount" in self.props:
                self.fail(
                    "operationcount",
                    "expected a positive count, or a maxexecutiontime to end the run "
                    "(got 0, which YCSB runs until stopped)",
                )
            else:
                self.notes.append(
                    "neither operationcount nor maxexecutiontime is set (YCSB would run until "
                    "stopped), so bakeoff's default of 1000 operations is used"
                )
            operation_count = 1000
        return operation_count, duration_s

    def fields(self) -> dict[str, Any]:
        distribution = self.choice(
            "fieldlengthdistribution",
            "constant",
            ("constant", "uniform", "zipfian"),
            unsupported="histogram field lengths are not supported",
        )
        maximum = self.integer("fieldlength", 100, minimum=1)
        length: dict[str, Any]
        if distribution == "constant":
            length = {"distribution": "constant", "value": maximum}
            self.ignore("minfieldlength", "only used with uniform or zipfian field lengths")
        else:
            minimum = self.integer("minfieldlength", 1, minimum=1)
            if minimum > maximum:
                self.fail(
                    "minfieldlength", f"must not exceed fieldlength ({maximum}) (got {minimum})"
                )
            length = {"distribution": distribution, "min": minimum, "max": maximum}
        self.ignore("fieldlengthhistogram", "only used with fieldlengthdistribution=histogram")
        return {
            "count": self.integer("fieldcount", 10, minimum=1),
            "length": length,
            "prefix": self.text("fieldnameprefix", "field"),
        }

    def operations(self) -> dict[str, float]:
        shares: dict[str, float] = {}
        defaulted: list[str] = []
        for key, op in _PROPORTIONS.items():
            default = _DEFAULT_PROPORTIONS.get(key, 0.0)
            if key not in self.props and default:
                defaulted.append(f"{key}={default:g}")
            shares[op] = self.number(key, default, minimum=0.0)
        total = sum(shares.values())
        if total <= 0:
            first = next((key for key in _PROPORTIONS if key in self.props), "readproportion")
            self.fail(first, "the operation proportions sum to 0; at least one must be positive")
            return {_PROPORTIONS["readproportion"]: 1.0}
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            because = f" (with YCSB's defaults {', '.join(defaulted)})" if defaulted else ""
            self.notes.append(
                f"the operation proportions sum to {total:g}{because}; YCSB weighs them "
                f"relative to their sum, so they were scaled to sum to 1"
            )
            shares = {op: share / total for op, share in shares.items()}
        return {op: share for op, share in shares.items() if share > 0}

    def request_distribution(self) -> dict[str, Any]:
        kind = _REQUEST_DISTRIBUTIONS[
            self.choice("requestdistribution", "uniform", tuple(_REQUEST_DISTRIBUTIONS))
        ]
        spec: dict[str, Any] = {"type": kind}
        if kind == "hotspot":
            spec["hot_data_fraction"] = self.number("hotspotdatafraction", 0.2)
            spec["hot_operation_fraction"] = self.number("hotspotopnfraction", 0.8)
        if kind == "exponential":
            spec["percentile"] = self.number("exponential.percentile", 95.0)
            spec["fraction"] = self.number("exponential.frac", 0.8571428571)
        for key in ("hotspotdatafraction", "hotspotopnfraction"):
            self.ignore(key, "only used with requestdistribution=hotspot")
        for key in ("exponential.percentile", "exponential.frac"):
            self.ignore(key, "only used with requestdistribution=exponential")
        return spec

    def scan_length(self, operations: dict[str, float]) -> dict[str, Any] | None:
        keys = ("scanlengthdistribution", "minscanlength", "maxscanlength")
        scans = any(Argument.SCAN_LENGTH in BY_NAME[op].arguments for op in operations)
        if not scans and not any(k in self.props for k in keys):
            # Unused without scans: keep bakeoff's default so that equal workloads hash alike.
            return None
        distribution = self.choice("scanlengthdistribution", "uniform", ("uniform", "zipfian"))
        minimum = self.integer("minscanlength", 1, minimum=1)
        maximum = self.integer("maxscanlength", 1000, minimum=1)
        if minimum > maximum:
            self.fail("minscanlength", f"must not exceed maxscanlength ({maximum}) (got {minimum})")
        return {"distribution": distribution, "min": minimum, "max": maximum}


# -- back to YAML --------------------------------------------------------------------


def workload_to_yaml(w: Workload, *, header: str | None = None) -> str:
    """The full spec, defaults included, as a workload file `load_workload` reads back.

    `header` becomes leading ``#`` comment lines.
    """
    body = yaml.safe_dump(
        w.model_dump(mode="json"),
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
    if not header:
        return body
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comments + body
