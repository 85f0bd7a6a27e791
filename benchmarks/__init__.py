"""Benchmarks: each script prints ratios measured side by side in one run (see the README's Performance)."""
