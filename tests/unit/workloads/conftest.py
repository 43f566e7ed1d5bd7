"""Hypothesis profiles for the property-based tests of the workload loader.

`--hypothesis-profile=thorough` runs the issue's bar of 10,000 cases per property. pytest
reads this file before it loads the profile only when the command names this folder or a
file in it: `pytest tests/unit/workloads/test_loader_properties.py --hypothesis-profile=thorough`.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("thorough", max_examples=10_000, deadline=None)
