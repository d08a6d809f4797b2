"""Benchmark `gen synth` against a plain cdktf program, as issue 5 asks (docs/performance.md).

Run from the repository root with the Python that has gen's dependencies:

    python bench/synth.py            # 5 rounds (about 4 minutes on 2 cores)
    python bench/synth.py --runs 9

Each round measures, one after the other (side by side, so drift hits all alike):

  baseline   python -c "import cdktf_cdktf_provider_aws, cdktf_cdktf_provider_google"
  1 all      gen synth examples/shop.json, every cloud environment, into an empty folder
  5 x10      gen synth on a model ten times shop.json (made here, in a temp folder), right
             after (1), so that each round's pair sees the same machine
  2 aws/gcp  gen synth examples/shop.json --env prod (aws) / --env staging (gcp), empty folder
  3 again    gen synth examples/shop.json on the output of (1): nothing to do
  cold       (1) on a fresh CI runner: empty caches (gen's, under XDG_CACHE_HOME, and jsii's
             package cache); its wall time, peak memory and the bytes both caches hold after
             it are issue 16's targets

Wall time (and CPU time, user + system, of the whole process tree: steadier than wall time on
a shared machine) is the median of the rounds. Peak memory is the largest resident set of any one
process of a run (Python, its forked per-cloud processes or Node), from os.wait4: the kernel
keeps, for each waited-for process tree, the peak of its biggest member. Target 5 is judged on
the ratio of the two medians; the range of each round's own x10/shop ratio is printed beside
it, since a shared machine's speed drifts by 10-20 % within minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "examples" / "shop.json"
COPIES = 10

def tenfold(model: dict, copies: int = COPIES) -> dict:
    """`model` with `copies` copies of every service and resource; copy k > 1 is `<name>-<k>`
    and refers to copy k of what the original refers to."""
    model = json.loads(json.dumps(model))

    def name(original: str, k: int) -> str:
        return original if k == 1 else f"{original}-{k}"

    def renamed(value, kind_names: dict[str, set[str]], k: int, kind: str):
        return name(value, k) if value in kind_names[kind] else value

    kinds = ("services", "databases", "buckets", "topics", "cron", "caches", "secrets")
    names = {kind: set(model.get(kind, {})) for kind in kinds}
    for kind in kinds:
        originals = model.get(kind, {})
        grown = {}
        for k in range(1, copies + 1):
            for original, spec in originals.items():
                spec = json.loads(json.dumps(spec))
                if kind == "services":
                    if k > 1 and "path" in spec:
                        spec["path"] = f"/{name(original, k)}"
                    uses = spec.get("uses", {})
                    for use_kind, used in uses.items():
                        if isinstance(used, list):
                            uses[use_kind] = [renamed(u, names, k, use_kind) for u in used]
                        else:
                            uses[use_kind] = {renamed(u, names, k, use_kind): v for u, v in used.items()}
                elif kind == "topics":
                    spec["subscriptions"] = {
                        name(sub, k): {**s, "service": renamed(s["service"], names, k, "services")}
                        for sub, s in spec.get("subscriptions", {}).items()}
                elif kind == "cron":
                    spec["service"] = renamed(spec["service"], names, k, "services")
                grown[name(original, k)] = spec
        model[kind] = dict(sorted(grown.items()))
    for env in model.get("environments", {}).values():
        allocation = env.get("process_allocation")
        if isinstance(allocation, dict):
            allocation["groups"] = {group: sorted(name(s, k) for s in members for k in range(1, copies + 1))
                                    for group, members in allocation["groups"].items()}
        for kind, overrides in env.get("overrides", {}).items():
            if kind in names:
                env["overrides"][kind] = {name(o, k): v for o, v in overrides.items() for k in range(1, copies + 1)}
    return model


def run(command: list[str], env: dict | None = None) -> tuple[float, int, float]:
    """(wall seconds, peak RSS in MB of the biggest process of the run, CPU seconds of the run)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, **(env or {})})
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"failed ({process.returncode}): {' '.join(command)}\n{stderr.decode(errors='replace')[-3000:]}")
    return elapsed, usage.ru_maxrss // 1024, usage.ru_utime + usage.ru_stime


def disk_bytes(*folders: Path) -> int:
    """The bytes of the files under `folders` (as `du --apparent-size` counts them)."""
    return sum(p.stat().st_size for folder in folders if folder.exists() for p in folder.rglob("*")
               if p.is_file() and not p.is_symlink())


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1]) // 1024 ** 2
    except (OSError, StopIteration, ValueError):
        memory = 0
    node = subprocess.run([os.environ.get("JSII_NODE", "node"), "--version"], capture_output=True, text=True).stdout.strip()
    return (f"{os.cpu_count()} cores ({cpu}), {memory} GB, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, Node {node}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds; each figure is their median (default 5, at least 3)")
    parser.add_argument("--no-cold", action="store_true", help="skip the run with empty caches (a fresh CI runner)")
    args = parser.parse_args()
    runs = max(3, args.runs)
    python = sys.executable
    gen = [python, "-m", "gen", "synth"]
    work = Path(tempfile.mkdtemp(prefix="gen-bench-"))
    try:
        big = work / "shop-x10.json"
        big.write_text(json.dumps(tenfold(json.loads(SHOP.read_text("utf-8"))), indent=2), "utf-8")
        check = subprocess.run([python, "-m", "gen", "validate", str(big)], cwd=ROOT, capture_output=True, text=True)
        if check.returncode != 0:
            sys.exit(f"the x10 model is not valid:\n{check.stdout}{check.stderr}")
        run(gen + [str(SHOP), "--out", str(work / "warm")])  # fills jsii's package cache once, like any earlier run
        up_to_date = work / "up-to-date"
        run(gen + [str(SHOP), "--out", str(up_to_date)])

        cases = {
            "baseline": lambda i: [python, "-c", "import cdktf_cdktf_provider_aws, cdktf_cdktf_provider_google"],
            "1 all": lambda i: gen + [str(SHOP), "--out", str(work / f"all-{i}")],
            "5 x10": lambda i: gen + [str(big), "--out", str(work / f"x10-{i}")],
            "2 aws": lambda i: gen + [str(SHOP), "--env", "prod", "--out", str(work / f"aws-{i}")],
            "2 gcp": lambda i: gen + [str(SHOP), "--env", "staging", "--out", str(work / f"gcp-{i}")],
            "3 again": lambda i: gen + [str(SHOP), "--out", str(up_to_date)],
        }
        if not args.no_cold:
            cases["cold"] = lambda i: gen + [str(SHOP), "--out", str(work / f"cold-{i}")]
        times = {case: [] for case in cases}
        peaks = {case: [] for case in cases}
        cpus = {case: [] for case in cases}
        disk = []
        for i in range(runs):
            for case, command in cases.items():
                caches = [work / f"cold-cache-{i}", work / f"cold-jsii-cache-{i}"]
                env = ({"XDG_CACHE_HOME": str(caches[0]), "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(caches[1])}
                       if case == "cold" else None)
                elapsed, peak, cpu = run(command(i), env)
                times[case].append(elapsed)
                peaks[case].append(peak)
                cpus[case].append(cpu)
                left = ""
                if case == "cold":
                    disk.append(disk_bytes(*caches))
                    left = f"  {disk[-1] / 1e6:5.0f} MB left in the caches"
                    for folder in caches:
                        shutil.rmtree(folder, ignore_errors=True)
                print(f"  round {i + 1}/{runs}  {case:<9} {elapsed:6.2f} s  {cpu:6.2f} s CPU  {peak:5d} MB{left}",
                      file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    median = {case: statistics.median(values) for case, values in times.items()}
    base = median["baseline"]
    targets = {
        "1 all": ("shop.json, every cloud environment, both clouds, empty output", "<= 0.30 x baseline", 0.30),
        "2 aws": ("one AWS environment (prod)", "<= 0.20 x baseline", 0.20),
        "2 gcp": ("one Google environment (staging)", "<= 0.20 x baseline", 0.20),
        "3 again": ("re-run, nothing changed (writes nothing, no jsii)", "<= 0.03 x baseline", 0.03),
    }
    print(f"gen synth benchmark: median of {runs} rounds; {machine()}")
    cpu = {case: statistics.median(values) for case, values in cpus.items()}
    print(f"{'figure':<9} {'what':<60} {'wall s':>7} {'x base':>7}  {'CPU s':>6}  {'peak MB':>7}  target")
    print(f"{'baseline':<9} {'import cdktf_cdktf_provider_aws, cdktf_cdktf_provider_google':<60} "
          f"{base:7.2f} {1:7.3f}  {cpu['baseline']:6.2f}  {max(peaks['baseline']):7d}")
    for case, (what, target, limit) in targets.items():
        ratio = median[case] / base
        print(f"{case:<9} {what:<60} {median[case]:7.2f} {ratio:7.3f}  {cpu[case]:6.2f}  {max(peaks[case]):7d}  "
              f"{target}: {'met' if ratio <= limit else 'MISSED'}")
    ours = [c for c in cases if c != "baseline"]
    peak = max(max(peaks[c]) for c in ours)
    print(f"{'4 memory':<9} {'peak RSS of any one process, every run (cold too)':<60} {'':>7} {'':>7}  {'':>6}  {peak:7d}  "
          f"<= 700 MB: {'met' if peak <= 700 else 'MISSED'}")
    growth = median["5 x10"] / median["1 all"]
    rounds = sorted(x10 / shop for x10, shop in zip(times["5 x10"], times["1 all"]))
    print(f"{'5 x10':<9} {'ten times shop.json, every cloud environment, empty output':<60} {median['5 x10']:7.2f} "
          f"{median['5 x10'] / base:7.3f}  {cpu['5 x10']:6.2f}  {max(peaks['5 x10']):7d}  <= 1.5 x figure 1: {growth:.2f} x, "
          f"{'met' if growth <= 1.5 else 'MISSED'} (rounds: {rounds[0]:.2f}-{rounds[-1]:.2f} x)")
    if "cold" in cases:
        ratio, top, left = median["cold"] / base, max(peaks["cold"]), statistics.median(disk) / 1e6
        rounds = sorted(c / b for c, b in zip(times["cold"], times["baseline"]))
        print(f"{'cold':<9} {'figure 1 on a fresh CI runner (gen and jsii caches empty)':<60} {median['cold']:7.2f} "
              f"{ratio:7.3f}  {cpu['cold']:6.2f}  {top:7d}  <= 0.15 x baseline (goal 0.08): "
              f"{'met' if ratio <= 0.15 else 'MISSED'} (rounds: {rounds[0]:.3f}-{rounds[-1]:.3f} x); "
              f"<= 400 MB (goal 300): {'met' if top <= 400 else 'MISSED'}")
        print(f"{'':<9} {'bytes left in the caches after the cold run':<60} {'':>7} {'':>7}  {'':>6}  {left:7.0f}  "
              f"<= 250 MB (goal 100): {'met' if left <= 250 else 'MISSED'}")


if __name__ == "__main__":
    main()
