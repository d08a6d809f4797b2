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
