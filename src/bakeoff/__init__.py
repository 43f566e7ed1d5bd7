"""bakeoff: one declarative workload, many database engines, honest numbers."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bakeoff")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
