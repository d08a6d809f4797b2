"""One package per target cloud. Each has `checks` (what the model asks that the cloud cannot
do, as validation problems; no cdktf) and `stack` (the CDKTF stack builder).

Only `stack` modules import cdktf and the provider bindings, so validating a model or listing
environments never starts Node.
"""

from __future__ import annotations

import importlib

PACKAGES = {"aws": "providers.aws", "gcp": "providers.google"}


def check(env) -> list[tuple[str, str]]:
    """(JSON pointer, message) for each part of a resolved environment its cloud cannot express."""
    return importlib.import_module(PACKAGES[env.cloud] + ".checks").check(env)
