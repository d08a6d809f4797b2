"""Build one Google Cloud environment's CDKTF stack: provider, state backend and labels, then each kind of resource."""

from __future__ import annotations

from cdktf import GcsBackend, TerraformStack
from cdktf_cdktf_provider_google.provider import GoogleProvider

from gen.environments import Environment
from gen.names import google_label


def labels(env: Environment) -> dict[str, str]:
    """The environment's tags as Google labels (lower case, label alphabet, at most 63)."""
    return {google_label(k, key=True): google_label(v) for k, v in env.tags.items()}


def build(stack: TerraformStack, env: Environment) -> None:
    GoogleProvider(
        stack, "google",
        project=env.project,
        region=env.region,
        default_labels=labels(env),
    )
    GcsBackend(stack, bucket=env.state.bucket, prefix=env.state.key)
