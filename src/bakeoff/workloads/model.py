"""The declarative workload: pydantic v2 models, frozen, unknown fields rejected.

Field names and defaults follow YCSB's CoreWorkload so that its properties map one to one
(see `bakeoff.workloads.ycsb_import`).
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Annotated, Any, Final, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    Tag,
    ValidationError,
    model_serializer,
    model_validator,
)

from bakeoff.core.capabilities import Capability
from bakeoff.core.faults import checked_faults
from bakeoff.core.operations import BY_NAME, OPERATIONS
from bakeoff.core.records import TableSpec
from bakeoff.core.schema import EntitySpec, Identifier, Schema
from bakeoff.workloads.logical import (
    KEY_VALUE_ONLY,
    LogicalMix,
    check_operations,
    mix_kind,
    scaled_entities,
)
from bakeoff.workloads.phase_length import AUTO, MAX_SECONDS, WarmupSeconds, with_default_length


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- limits --------------------------------------------------------------------------
# Upper bounds on what a workload may ask for, so that a typo (an extra zero, `.inf`) is
# refused while reading the file rather than after an engine started or memory ran out.
# Each is far above any benchmark bakeoff is meant for; README's "Limits" lists them.
MAX_RECORDS: Final = 10**10
MAX_OPERATIONS: Final = 10**12
MAX_LENGTH: Final = 2**20  # a field's length in characters, or a scan's in records
# MongoDB's limit on one document, the smallest among the engines.
MAX_RECORD_CHARS: Final = 16 * 2**20
MAX_NAME_CHARS: Final = 128
MAX_DESCRIPTION_CHARS: Final = 4096
MAX_PREFIX_CHARS: Final = 32  # keys and field names stay short identifiers

# Strict: YAML's `true` is not the number 1, nor "10" a number; floats must be finite.
Length = Annotated[int, Field(strict=True, ge=1, le=MAX_LENGTH)]
Fraction = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=1)]
OpenFraction = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, lt=1)]
Operations = Annotated[int, Field(strict=True, ge=1, le=MAX_OPERATIONS)]
Seconds = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=MAX_SECONDS)]
Prefix = Annotated[str, Field(max_length=MAX_PREFIX_CHARS)]


# -- length distributions (field length, scan length) --------------------------------


class ConstantLength(_Strict):
    distribution: Literal["constant"] = "constant"
    value: Length

    @property
    def maximum(self) -> int:
        return self.value


class UniformLength(_Strict):
    distribution: Literal["uniform"]
    min: Length = 1
    max: Length

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
    min: Length = 1
    max: Length

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
    constant: OpenFraction = 0.99


class ScrambledZipfianKeys(_Strict):
    """Zipfian popularity, hot keys spread over the key space by FNV-1a hashing."""

    type: Literal["scrambled_zipfian"]
    constant: OpenFraction = 0.99


class LatestKeys(_Strict):
    """Zipfian over recency: the newest inserted records are hottest."""

    type: Literal["latest"]
    constant: OpenFraction = 0.99


class HotspotKeys(_Strict):
    """`hot_operation_fraction` of requests go to the first `hot_data_fraction` of keys."""

    type: Literal["hotspot"]
    hot_data_fraction: Fraction = 0.2
    hot_operation_fraction: Fraction = 0.8


class SequentialKeys(_Strict):
    type: Literal["sequential"]


class ExponentialKeys(_Strict):
    """`percentile`% of requests fall in the first `fraction` of the key space."""

    type: Literal["exponential"]
    percentile: Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, lt=100)] = 95.0
    fraction: Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=1)] = 0.8571428571

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


class OperationMix(_Strict):
    """Proportions of each operation; they must sum to 1.

    One share per entry of `bakeoff.core.operations`, in the table's order (checked below).
    """

    read: Fraction = 0.0
    update: Fraction = 0.0
    insert: Fraction = 0.0
    scan: Fraction = 0.0
    read_modify_write: Fraction = 0.0
    delete: Fraction = 0.0
    exists: Fraction = 0.0

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

    def keeps_its_size(self) -> bool:
        """Whether the data stays as loaded in size (no insert, no delete)."""
        return not (self.insert or self.delete)

    def all_split_phase(self) -> bool:
        """Every operation in use has a split-phase request half (see `SplitPhase`)."""
        return all(BY_NAME[name].split_method is not None for name in self.active())


if tuple(OperationMix.model_fields) != tuple(BY_NAME):
    raise TypeError(
        "OperationMix needs one share per operation of bakeoff.core.operations, in its order:"
        f" {', '.join(BY_NAME)}"
    )


class Fields(_Strict):
    count: Annotated[int, Field(strict=True, ge=1, le=1024)] = 10
    length: LengthDistribution = ConstantLength(value=100)
    prefix: Annotated[Prefix, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] = "field"

    @model_validator(mode="after")
    def _record_fits(self) -> Self:
        if self.count * self.length.maximum > MAX_RECORD_CHARS:
            raise ValueError(
                f"a record of {self.count} fields of up to {self.length.maximum} characters"
                f" exceeds the limit of {MAX_RECORD_CHARS} characters"
            )
        return self

    def names(self) -> tuple[str, ...]:
        return tuple(f"{self.prefix}{i}" for i in range(self.count))


AnyMix = Annotated[
    Annotated[OperationMix, Tag("key_value")] | Annotated[LogicalMix, Tag("logical")],
    Discriminator(mix_kind),
]


class Workload(_Strict):
    """One workload definition, as read from a YAML file.

    A key-value workload (YCSB's shape) has `fields` and an `OperationMix`; a schema
    workload has `entities` and named logical operations (`LogicalMix`), and its data
    sizes are each root entity's `rows` (`records` does not apply to it).
    """

    name: Annotated[str, Field(max_length=MAX_NAME_CHARS, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    description: Annotated[str, Field(max_length=MAX_DESCRIPTION_CHARS)] = ""
    table: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")] = "usertable"
    records: Annotated[int, Field(strict=True, ge=1, le=MAX_RECORDS)] = 1000
    fields: Fields = Fields()
    operations: AnyMix
    entities: dict[Identifier, EntitySpec] | None = None
    # YCSB's CoreWorkload default.
    request_distribution: RequestDistribution = UniformKeys(type="uniform")
    scan_length: LengthDistribution = UniformLength(distribution="uniform", min=1, max=100)
    read_all_fields: Annotated[bool, Field(strict=True)] = True
    write_all_fields: Annotated[bool, Field(strict=True)] = False
    insert_order: Literal["hashed", "ordered"] = "hashed"
    key_prefix: Annotated[Prefix, Field(pattern=r"^[A-Za-z0-9_]*$")] = "user"
    operation_count: Operations | None = None  # see _default_length
    duration_s: Seconds | None = None
    warmup_operations: Annotated[int, Field(strict=True, ge=0, le=MAX_OPERATIONS)] = 0
    warmup_s: WarmupSeconds = 0.0
    seed: Annotated[int, Field(strict=True, ge=0, lt=2**63)] = 1
    faults: Annotated[tuple[str, ...], AfterValidator(checked_faults)] = ()  # docs/faults.md

    _default_length = model_validator(mode="before")(with_default_length)

    @model_validator(mode="after")
    def _one_stop_condition(self) -> Self:
        if self.operation_count is None and self.duration_s is None:
            raise ValueError("give operation_count or duration_s")
        if self.warmup_s == AUTO and self.warmup_operations:
            raise ValueError("give warmup_operations or warmup_s: auto, not both")
        return self

    @model_validator(mode="after")
    def _schema_and_mix_agree(self) -> Self:
        if self.entities is None:
            if isinstance(self.operations, LogicalMix):
                raise ValueError("named logical operations need `entities` (a schema)")
            return self
        if not isinstance(self.operations, LogicalMix):
            raise ValueError("a workload with `entities` names logical operations")
        check_operations(self.data_schema(), self.operations)
        return self

    @model_serializer(mode="wrap")
    def _without_absent_schema(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A key-value workload's spec (and its hash) stays as it was before schemas existed.
        data: dict[str, Any] = handler(self)
        if not data.get("faults"):  # a workload without faults keeps its hash
            data.pop("faults", None)
        if data.get("entities") is None:
            data.pop("entities", None)
        else:
            for name in KEY_VALUE_ONLY:
                data.pop(name, None)
        return data

    @property
    def rows_to_load(self) -> int:
        """Records of a key-value workload; root rows (each with its children) of a
        schema workload."""
        if self.entities is None:
            return self.records
        return sum(e.rows for e in self.entities.values() if e.parent is None)

    @property
    def is_schema_workload(self) -> bool:
        return self.entities is not None

    def data_schema(self) -> Schema:
        """The entities as one validated `Schema` (ValueError for a key-value workload)."""
        if self.entities is None:
            raise ValueError(f"workload {self.name!r} is a key-value workload, not a schema one")
        return Schema(entities=self.entities)

    def table_spec(self) -> TableSpec:
        return TableSpec(
            name=self.table,
            field_names=self.fields.names(),
            max_field_length=self.fields.length.maximum,
        )

    def required_capabilities(self) -> frozenset[Capability]:
        if isinstance(self.operations, LogicalMix):
            return frozenset()  # a schema workload asks its data model instead (`plan`)
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
        warmup_s: float | Literal["auto"] | None = None,
        seed: int | None = None,
    ) -> Workload:
        """A copy with command-line overrides applied and validated again (ValueError,
        one line naming the field, when an override is out of bounds)."""
        data = self.model_dump()
        if records is not None and self.entities is not None:
            data["entities"] = scaled_entities(self.entities, records)
        elif records is not None:
            data["records"] = records
        if duration_s is not None:
            data["duration_s"] = duration_s
            data["operation_count"] = None
        if operation_count is not None:
            data["operation_count"] = operation_count
            data["duration_s"] = None
        if warmup_s is not None:  # seconds (or auto) replace a warm-up of operations
            data["warmup_s"], data["warmup_operations"] = warmup_s, 0
        if seed is not None:
            data["seed"] = seed
        try:
            return Workload.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"])) or "workload"
            raise ValueError(f"{where}: {first['msg']} (got {first['input']!r})") from None
