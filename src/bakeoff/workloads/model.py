"""The declarative workload: pydantic v2 models, frozen, unknown fields rejected.

Field names and defaults follow YCSB's CoreWorkload so that its properties map one to one
(see `bakeoff.workloads.ycsb_import`).
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from bakeoff.core.capabilities import Capability
from bakeoff.core.operations import BY_NAME, OPERATIONS
from bakeoff.core.records import TableSpec


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- length distributions (field length, scan length) --------------------------------


class ConstantLength(_Strict):
    distribution: Literal["constant"] = "constant"
    value: Annotated[int, Field(ge=1)]

    @property
    def maximum(self) -> int:
        return self.value


class UniformLength(_Strict):
    distribution: Literal["uniform"]
    min: Annotated[int, Field(ge=1)] = 1
    max: Annotated[int, Field(ge=1)]

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self

    @property
    def maximum(self) -> int:
        return self.max


class ZipfianLength(_Strict):
    """Lengths in [min, max], short ones most frequent (YCSB's zipfian length)."""

    distribution: Literal["zipfian"]
    min: Annotated[int, Field(ge=1)] = 1
    max: Annotated[int, Field(ge=1)]

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self

    @property
    def maximum(self) -> int:
        return self.max


LengthDistribution = Annotated[
    ConstantLength | UniformLength | ZipfianLength, Field(discriminator="distribution")
]


# -- request (key) distributions -----------------------------------------------------


class UniformKeys(_Strict):
    type: Literal["uniform"]


class ZipfianKeys(_Strict):
    """YCSB's zipfian: the lowest key numbers are hottest. Constant 0.99 by default."""

    type: Literal["zipfian"]
    constant: Annotated[float, Field(gt=0, lt=1)] = 0.99


class ScrambledZipfianKeys(_Strict):
    """Zipfian popularity, hot keys spread over the key space by FNV-1a hashing."""

    type: Literal["scrambled_zipfian"]
    constant: Annotated[float, Field(gt=0, lt=1)] = 0.99


class LatestKeys(_Strict):
    """Zipfian over recency: the newest inserted records are hottest."""

    type: Literal["latest"]
    constant: Annotated[float, Field(gt=0, lt=1)] = 0.99


class HotspotKeys(_Strict):
    """`hot_operation_fraction` of requests go to the first `hot_data_fraction` of keys."""

    type: Literal["hotspot"]
    hot_data_fraction: Annotated[float, Field(ge=0, le=1)] = 0.2
    hot_operation_fraction: Annotated[float, Field(ge=0, le=1)] = 0.8


class SequentialKeys(_Strict):
    type: Literal["sequential"]


class ExponentialKeys(_Strict):
    """`percentile`% of requests fall in the first `fraction` of the key space."""

    type: Literal["exponential"]
    percentile: Annotated[float, Field(gt=0, lt=100)] = 95.0
    fraction: Annotated[float, Field(gt=0, le=1)] = 0.8571428571

    @property
    def gamma(self) -> float:
        return -math.log(1.0 - self.percentile / 100.0) / self.fraction


RequestDistribution = Annotated[
    UniformKeys
    | ZipfianKeys
    | ScrambledZipfianKeys
    | LatestKeys
    | HotspotKeys
    | SequentialKeys
    | ExponentialKeys,
    Field(discriminator="type"),
]


# -- the workload --------------------------------------------------------------------


Share = Annotated[float, Field(ge=0, le=1)]


class OperationMix(_Strict):
    """Proportions of each operation; they must sum to 1.

    One share per entry of `bakeoff.core.operations`, in the table's order (checked below).
    """

    read: Share = 0.0
    update: Share = 0.0
    insert: Share = 0.0
    scan: Share = 0.0
    read_modify_write: Share = 0.0
    delete: Share = 0.0
    exists: Share = 0.0

    @model_validator(mode="after")
    def _sums_to_one(self) -> Self:
        total = sum(self.proportions().values())
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"operation proportions must sum to 1, they sum to {total:g}")
        return self

    @model_serializer(mode="wrap")
    def _used_or_ycsb(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # YCSB's core operations always; any other only when used, so that adding an
        # operation leaves existing workload specs, and their hashes, as they were.
        shares: dict[str, Any] = handler(self)
        return {
            name: share
            for name, share in shares.items()
            if share or BY_NAME[name].ycsb_property is not None
        }

    def share(self, operation: str) -> float:
        return float(getattr(self, operation))

    def proportions(self) -> dict[str, float]:
        return {op.name: self.share(op.name) for op in OPERATIONS}

    def active(self) -> list[str]:
        return [name for name, share in self.proportions().items() if share > 0]

    def all_split_phase(self) -> bool:
        """Every operation in use has a split-phase request half (see `SplitPhase`)."""
        return all(BY_NAME[name].split_method is not None for name in self.active())


if tuple(OperationMix.model_fields) != tuple(BY_NAME):
    raise TypeError(
        "OperationMix needs one share per operation of bakeoff.core.operations, in its order:"
        f" {', '.join(BY_NAME)}"
    )


class Fields(_Strict):
    count: Annotated[int, Field(ge=1, le=1024)] = 10
    length: LengthDistribution = ConstantLength(value=100)
    prefix: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] = "field"

    def names(self) -> tuple[str, ...]:
        return tuple(f"{self.prefix}{i}" for i in range(self.count))


class Workload(_Strict):
    """One workload definition, as read from a YAML file."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    description: str = ""
    table: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")] = "usertable"
    records: Annotated[int, Field(ge=1)] = 1000
    fields: Fields = Fields()
    operations: OperationMix
    # YCSB's CoreWorkload default.
    request_distribution: RequestDistribution = UniformKeys(type="uniform")
    scan_length: LengthDistribution = UniformLength(distribution="uniform", min=1, max=100)
    read_all_fields: bool = True
    write_all_fields: bool = False
    insert_order: Literal["hashed", "ordered"] = "hashed"
    key_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]*$")] = "user"
    operation_count: Annotated[int, Field(ge=1)] | None = 1000
    duration_s: Annotated[float, Field(gt=0)] | None = None
    warmup_operations: Annotated[int, Field(ge=0)] = 0
    warmup_s: Annotated[float, Field(ge=0)] = 0.0
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 1

    @model_validator(mode="after")
    def _one_stop_condition(self) -> Self:
        if self.operation_count is None and self.duration_s is None:
            raise ValueError("give operation_count or duration_s")
        return self

    def table_spec(self) -> TableSpec:
        return TableSpec(
            name=self.table,
            field_names=self.fields.names(),
            max_field_length=self.fields.length.maximum,
        )

    def required_capabilities(self) -> frozenset[Capability]:
        needed = (BY_NAME[name].capabilities for name in self.operations.active())
        return frozenset().union(*needed)

    def spec_hash(self) -> str:
        """SHA-256 of the canonical JSON of the validated spec (defaults included)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def with_overrides(
        self,
        *,
        records: int | None = None,
        operation_count: int | None = None,
        duration_s: float | None = None,
        seed: int | None = None,
    ) -> Workload:
        """A copy with command-line overrides applied (and validated again)."""
        data = self.model_dump()
        if records is not None:
            data["records"] = records
        if duration_s is not None:
            data["duration_s"] = duration_s
            data["operation_count"] = None
        if operation_count is not None:
            data["operation_count"] = operation_count
            data["duration_s"] = None
        if seed is not None:
            data["seed"] = seed
        return Workload.model_validate(data)
