"""Deterministic cloud names: `<app>-<env>-<resource>`, cut with a stable hash where a limit requires.

The same model gives the same names on every run and machine. A name that fits its limit
is used as it is; a longer one keeps its beginning and ends in `-` plus a short hash of
the full name, so two long names that share a beginning still differ.
"""

from __future__ import annotations

import hashlib
import re

HASH_LENGTH = 6  # hex digits of sha256 kept where a name is cut
GLOBAL_HASH_LENGTH = 8  # hex digits that keep globally unique names apart across accounts

# AWS name limits (characters).
AWS_LOAD_BALANCER = 32
AWS_TARGET_GROUP = 32
AWS_IAM_ROLE = 64
AWS_IAM_POLICY = 128
AWS_S3_BUCKET = 63
AWS_RDS_IDENTIFIER = 63
AWS_DB_PARAMETER_GROUP = 255
AWS_ELASTICACHE_REPLICATION_GROUP = 40
AWS_ELASTICACHE_SUBNET_GROUP = 255
AWS_SQS_QUEUE = 80
AWS_SNS_TOPIC = 256
AWS_SCHEDULER_SCHEDULE = 64
AWS_SECURITY_GROUP = 255
AWS_ECS_NAME = 255
AWS_SECRET = 512
AWS_LOG_GROUP = 512

# Google Cloud name limits (characters).
GOOGLE_SERVICE_ACCOUNT_ID = 30
GOOGLE_SERVICE_ACCOUNT_ID_MIN = 6
GOOGLE_CLOUD_RUN_SERVICE = 49
GOOGLE_CLOUD_RUN_JOB = 63
GOOGLE_STORAGE_BUCKET = 63
GOOGLE_SQL_INSTANCE = 63
GOOGLE_REDIS_INSTANCE = 40
GOOGLE_COMPUTE_NAME = 63  # networks, subnetworks, addresses, NEGs, backends, URL maps, certificates
GOOGLE_PUBSUB_NAME = 255
GOOGLE_SECRET_ID = 255
GOOGLE_SCHEDULER_JOB = 500
GOOGLE_LABEL = 63
GOOGLE_LOG_BUCKET = 100
GOOGLE_LOG_SINK = 100  # sinks and exclusions


def stable_hash(text: str, length: int = HASH_LENGTH) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def shorten(name: str, limit: int) -> str:
    """`name` itself when it fits `limit`, else its beginning, '-', and a hash of all of it."""
    if len(name) <= limit:
        return name
    digest = stable_hash(name)
    keep = name[: limit - len(digest) - 1].rstrip("-_.")
    return f"{keep}-{digest}" if keep else digest[:limit]


def cloud_name(app: str, env: str, resource: str, limit: int) -> str:
    """The name of one resource of one environment: `<app>-<env>-<resource>`, within `limit`."""
    return shorten("-".join(part for part in (app, env, resource) if part), limit)


def global_name(app: str, env: str, resource: str, owner: str, limit: int) -> str:
    """A globally unique name (buckets): always ends in a hash that includes the account or project.

    Two accounts or projects deploying the same model never collide, and the name stays the
    same on every run.
    """
    base = "-".join(part for part in (app, env, resource) if part)
    digest = stable_hash(f"{owner}/{base}", GLOBAL_HASH_LENGTH)
    keep = base[: limit - len(digest) - 1].rstrip("-")
    return f"{keep}-{digest}"


_LABEL_FORBIDDEN = re.compile(r"[^a-z0-9_-]")


def google_label(text: str, key: bool = False) -> str:
    """A Google label key or value: lower case, only a-z 0-9 _ -, at most 63; keys start with a letter."""
    label = _LABEL_FORBIDDEN.sub("_", text.lower())
    if key and not label[:1].isalpha():
        label = "k" + label
    return shorten(label, GOOGLE_LABEL)


def env_var(resource: str) -> str:
    """The environment variable stem of a resource name: order-created -> ORDER_CREATED."""
    return resource.upper().replace("-", "_")


def terraform_name(*parts: str) -> str:
    """A Terraform resource name (construct id) from model names: snake case, e.g. orders_db_subnets.

    Resources are created directly in the stack with these ids; cdktf keeps a top-level id as
    the Terraform name (nested constructs would get a hash suffix).
    """
    return "_".join(part.replace("-", "_") for part in parts if part)
