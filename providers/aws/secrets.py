"""Secrets Manager: one secret per model secret, declared without a value (set out of band)."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret

from gen.model import names
from gen.model.environments import Environment
from providers import protect


def build(stack: TerraformStack, env: Environment) -> dict[str, SecretsmanagerSecret]:
    secrets = {}
    for secret in env.app.secrets.values():
        secrets[secret.name] = SecretsmanagerSecret(
            stack, names.terraform_name(secret.name, "secret"),
            name=f"{env.app.name}/{env.name}/{secret.name}",
            description=secret.description or f"{secret.name} of {env.app.name} {env.name}; value set out of band",
            # A preview's secrets go with it; elsewhere a deleted secret can be restored for 30 days.
            recovery_window_in_days=0 if env.type == "preview" else 30,
            lifecycle=protect(env),
        )
    return secrets
