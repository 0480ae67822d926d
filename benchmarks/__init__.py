"""duckseg benchmark suite: synthetic data, seed segments, baselines and reports.

`python -m benchmarks.run --sf 1` generates the data (once per scale factor,
under benchmarks/data/), lands it in a workspace, times every approach and
writes benchmarks/results/sf<SF>.json and benchmarks/RESULTS.md.
"""
