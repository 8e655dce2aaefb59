"""Benchmarks run by `make bench`; `bench.run` writes their results to docs/benchmarks.md."""
