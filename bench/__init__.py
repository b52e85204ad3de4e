"""The benchmarks (docs/benchmarks.md): `make bench-history`, `make bench-tap`, `make bench-load`."""

import os


def report(lines: list[str]) -> None:
    """Print a benchmark's table, and write it to BENCH_OUT when that is set."""
    print("\n".join(lines))
    out = os.environ.get("BENCH_OUT")
    if out:
        with open(out, "w") as f:
            f.write("\n".join(lines) + "\n")
