"""The benchmark scripts: run each from the repository root as ``python -m benchmarks.<name>``.

Each writes its table to ``benchmarks/results/`` through :func:`benchmarks._report.publish`,
headed by the command as run and the commit of the code it measured. Results that the current
code no longer writes are in ``benchmarks/results/archive/``, listed in its ``README.md``.
"""
