"""The regression gate: compare two sets of runs, keep a history, find change points."""
