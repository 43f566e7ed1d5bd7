"""Workloads: the declarative model, its loader, and the key and value generators."""
