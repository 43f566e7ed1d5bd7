"""Data models are found through the entry-point group ``bakeoff.models``, or added in
process with `register_model()`; each serves the adapters it names (`DataModel.adapters`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib.metadata import EntryPoint
from typing import cast

from bakeoff.adapters.data_model import DataModel
from bakeoff.core.plugins import PluginError, PluginRegistry

GROUP = "bakeoff.models"


class ModelRegistrationError(PluginError):
    """Two models claim one name, or an entry point does not load a model."""


class UnknownModelError(LookupError):
    pass


def _accept(obj: object, name: str, source: str) -> type[DataModel]:
    if not isinstance(obj, type) or registry_name(cast("type[DataModel]", obj)) != name:
        raise ModelRegistrationError(
            f"data model {name!r} from {source} must load a model class whose"
            f" <adapter>.<name> is {name!r}, not {obj!r}"
        )
    return cast("type[DataModel]", obj)


def registry_name(model: type[DataModel]) -> str:
    """``<first adapter>.<model name>``: the entry point's name, unique per model."""
    adapters = sorted(getattr(model, "adapters", ()))
    return f"{adapters[0] if adapters else '?'}.{getattr(model, 'name', '?')}"


class ModelRegistry:
    def __init__(self, find: Callable[[], Iterable[EntryPoint]] | None = None) -> None:
        self._plugins = PluginRegistry(
            GROUP, "data model", _accept, error=ModelRegistrationError, find=find
        )

    def register(self, model: type[DataModel], *, source: str) -> None:
        self._plugins.register(registry_name(model), model, source=source)

    def models_for(self, adapter: str) -> dict[str, type[DataModel]]:
        """The models serving `adapter`, by model name."""
        found: dict[str, type[DataModel]] = {}
        for key in self._plugins.names():
            model = self._plugins.get(key)
            if adapter in model.adapters:
                found[model.name] = model
        return found

    def model_class(self, adapter: str, name: str | None) -> type[DataModel]:
        """The model `name` of `adapter`, or its default when `name` is None."""
        models = self.models_for(adapter)
        if name is None:
            defaults = [m for m in models.values() if m.default]
            if not defaults:
                raise UnknownModelError(
                    f"adapter {adapter!r} has no data model for schema workloads"
                )
            return defaults[0]
        if name not in models:
            known = ", ".join(sorted(models)) or "none"
            raise UnknownModelError(
                f"adapter {adapter!r} has no data model {name!r} (it has: {known})"
            )
        return models[name]


MODELS = ModelRegistry()
"""Every data model of the installed distributions and of `register_model()`."""


def register_model(model: type[DataModel], *, source: str) -> None:
    """Add a data model in process (say, from a test suite)."""
    MODELS.register(model, source=source)
