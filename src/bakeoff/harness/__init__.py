"""The harness: plans trials, generates load, records latencies."""
