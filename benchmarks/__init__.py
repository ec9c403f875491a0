"""The benchmark scripts: run each from the repository root as ``python -m benchmarks.<name>``.

Each writes its table to ``benchmarks/results/`` through :func:`benchmarks._report.publish`.
"""
