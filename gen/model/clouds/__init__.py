"""What each cloud can express: one module per cloud with its limits (Fargate pairs, Cloud Run
memory per vCPU, ...) as validation problems, and the pure translations that validation and
the stacks must agree on (EventBridge cron expressions, cache node types). No cdktf here:
`gen validate` runs these without starting Node; `providers/` imports them.
"""

from __future__ import annotations

import importlib

MODULES = {"aws": "gen.model.clouds.aws", "gcp": "gen.model.clouds.google"}


def check(env) -> list[tuple[str, str]]:
    """(JSON pointer, message) for each part of a resolved environment its cloud cannot express."""
    return importlib.import_module(MODULES[env.cloud]).check(env)


def service_size(env, service: str) -> tuple[float | None, int | None]:
    """(vCPU, MiB) the cloud runs a service with: the resolved values, after the cloud's minimums
    (a type default rounded up where the cloud needs more; what `gen env show` reports)."""
    module = importlib.import_module(MODULES[env.cloud]) if env.cloud in MODULES else None
    if module is not None and hasattr(module, "service_size"):
        return module.service_size(env, service)
    return env.services[service].cpu, env.services[service].memory
