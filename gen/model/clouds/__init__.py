"""What each cloud can express: one module per cloud (and `local` for local environments) with its limits (Fargate pairs, Cloud Run
memory per vCPU, ...) as validation problems, and the pure translations that validation and
the stacks must agree on (EventBridge cron expressions, cache node types). No cdktf here:
`gen validate` runs these without starting Node; `providers/` imports them.
"""

from __future__ import annotations

import importlib

MODULES = {"aws": "gen.model.clouds.aws", "gcp": "gen.model.clouds.google", "local": "gen.model.clouds.local"}


def check(env) -> list[tuple[str, str]]:
    """(JSON pointer, message) for each part of a resolved environment its cloud (or, for a local
    environment, Docker on the developer's machine) cannot express."""
    return importlib.import_module(MODULES[env.cloud or "local"]).check(env)


# Fitting sizes to what a cloud offers (the contract's "Defaults never break a model"): each
# returns the values the cloud gets and, where they differ, why. A value the model states is
# only ever rounded up to the cloud's granularity or minimum; a type default yields to it.

def fit_service(cloud: str, cpu, memory, cpu_stated: bool, memory_stated: bool, env_type: str | None = None):
    """(cpu, memory, why): where one of the two is stated, the other default yields to a size the
    cloud offers with it; a cloud may also round a default up for the environment's type (Cloud
    Run's 1 vCPU in production)."""
    return importlib.import_module(MODULES[cloud]).fit_service(cpu, memory, cpu_stated, memory_stated, env_type)


def fit_unit(cloud: str, ingress: str, cpu, memory):
    """(cpu, memory, why) a deployment unit gets, rounded up to what the cloud offers."""
    return importlib.import_module(MODULES[cloud]).fit_unit(ingress, cpu, memory)


def fit_cache(cloud: str, memory_mb: int):
    """(memory_mb, why) a cache gets, rounded up to the cloud's granularity."""
    return importlib.import_module(MODULES[cloud]).fit_cache(memory_mb)


def yield_partner(sizes: dict, cpu, memory, cpu_stated: bool, memory_stated: bool, fits) -> tuple:
    """The shared rule for a (cpu, memory) pair, given the cloud's `sizes` (vCPU -> its
    memory range, smallest first) and `fits(cpu, memory)`: when exactly one of the two is stated
    and the pair does not fit, the default moves to the nearest size that fits the stated one
    (upwards first). Two stated values, or two defaults, are left alone."""
    if cpu is None or fits(cpu, memory) or cpu_stated == memory_stated:
        return cpu, memory
    if cpu_stated:
        allowed = [m for m in sizes.get(cpu, ()) if fits(cpu, m)]
        above = [m for m in allowed if m >= memory]
        return cpu, (above[0] if above else allowed[-1]) if allowed else memory
    candidates = [c for c in sorted(sizes) if fits(c, memory)]
    above = [c for c in candidates if c >= cpu]
    return (above[0] if above else candidates[-1]) if candidates else cpu, memory
