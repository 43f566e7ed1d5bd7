"""bakeoff's own engines, one module each, registered through the ``bakeoff.engines``
entry points in pyproject.toml as a third-party package would register its own."""
