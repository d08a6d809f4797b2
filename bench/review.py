"""Benchmark `gen review` on a plan of 5,000 resource changes, as issue 18 asks.

Run from the repository root with the Python that has gen's dependencies:

    python bench/review.py              # 5 rounds of 5,000 changes
    python bench/review.py --changes 20000 --runs 3

The plan is made up by tests/big_plan.py (buckets, security group rules, IAM policies,
databases with sensitive passwords, deletions, Google firewalls, Azure rules, in turn) and
written to a temporary file. Each round times, in this process: reading and checking the
file, reviewing it, and rendering text, Markdown (shortened to GitHub's 65,536 characters)
and JSON; then the whole command, `gen review PLAN --format markdown`, as a new process.
Printed: the median of the rounds and the range, and the size of each output.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from big_plan import big_plan  # noqa: E402

from gen.review.plan import read_plan, review_plan  # noqa: E402
from gen.review.render import GITHUB_COMMENT_LIMIT, comment_length, render  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gen-bench-review-") as scratch:
        path = Path(scratch) / "plan.json"
        path.write_text(json.dumps(big_plan(args.changes), indent=2))
        size = path.stat().st_size
        times: dict[str, list[float]] = {}
        sizes: dict[str, int] = {}

        def timed(name, work):
            start = time.perf_counter()
            result = work()
            times.setdefault(name, []).append(time.perf_counter() - start)
            return result

        gen = Path(sys.executable).parent / "gen"
        for _ in range(args.runs):
            plan = timed("read and check", lambda: read_plan(str(path)))
            report = timed("review", lambda: review_plan(plan))
            for fmt in ("text", "markdown", "json"):
                limit = GITHUB_COMMENT_LIMIT if fmt == "markdown" else None
                text = timed(f"render {fmt}", lambda: render(report, fmt, limit))
                sizes[fmt] = comment_length(text)
            timed("gen review --format markdown (process)", lambda: subprocess.run(
                [str(gen), "review", str(path), "--format", "markdown"], capture_output=True, check=False))

    print(f"gen review, a plan of {args.changes:,} changes ({size / 1e6:.1f} MB), {args.runs} rounds")
    print(f"{'step':<42} {'median':>8} {'min':>8} {'max':>8}")
    for name, values in times.items():
        print(f"{name:<42} {statistics.median(values):>7.3f}s {min(values):>7.3f}s {max(values):>7.3f}s")
    print("output characters: " + ", ".join(f"{fmt} {n:,}" for fmt, n in sizes.items()))


if __name__ == "__main__":
    main()
