"""The adapter contract and the registry of adapters."""

from bakeoff.adapters.errors import (
    AdapterError,
    ErrorKind,
    FatalError,
    TransientError,
    UnsupportedError,
)
from bakeoff.adapters.protocol import (
    Adapter,
    BatchInsert,
    Capability,
    Endpoint,
    Record,
    RecordCount,
    TableSpec,
)
from bakeoff.adapters.registry import (
    CapabilityError,
    UnknownAdapterError,
    adapter_class,
    available_adapters,
    check_capabilities,
)

__all__ = [
    "Adapter",
    "AdapterError",
    "BatchInsert",
    "Capability",
    "CapabilityError",
    "Endpoint",
    "ErrorKind",
    "FatalError",
    "Record",
    "RecordCount",
    "TableSpec",
    "TransientError",
    "UnknownAdapterError",
    "UnsupportedError",
    "adapter_class",
    "available_adapters",
    "check_capabilities",
]
