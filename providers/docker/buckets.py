"""Buckets: created in the emulator by the setup container (moto's S3, or fake-gcs-server), under
the name the services get as <BUCKET>_BUCKET. Versioning follows the model; public access has no
meaning on a developer's machine and is not emulated."""

from __future__ import annotations

import json
import shlex

from gen.model import names
from gen.model.clouds import local
from gen.model.environments import Environment


def name(env: Environment, bucket: str) -> str:
    return env.name_for(bucket, names.GOOGLE_STORAGE_BUCKET)


def aws_commands(env: Environment) -> list[str]:
    out = []
    for bucket in env.buckets.values():
        b = shlex.quote(name(env, bucket.name))
        out.append(f"aws s3api head-bucket --bucket {b} 2>/dev/null || aws s3api create-bucket --bucket {b} >/dev/null")
        if bucket.versioned:
            out.append(f"aws s3api put-bucket-versioning --bucket {b} --versioning-configuration Status=Enabled")
    return out


def gcp_commands(env: Environment) -> list[str]:
    """`create METHOD URL BODY` is the setup script's helper (providers/docker/emulators.py)."""
    url = f"http://{local.GCS}:{local.GCS_PORT}/storage/v1/b?project={local.google_project(env)}"
    return [f"create POST {shlex.quote(url)} "
            + shlex.quote(json.dumps({"name": name(env, b.name), "versioning": {"enabled": b.versioned}}, sort_keys=True))
            for b in env.buckets.values()]
