"""The demo county: a deterministic, realistic data set for `seed-demo`, demos and benchmarks."""
