"""Test support shipped with bakeoff, so third-party adapters can run the same suite."""

from bakeoff.testing.conformance import AdapterConformance, connected_adapter

__all__ = ["AdapterConformance", "connected_adapter"]
