"""Secrets Manager: one secret per model secret. Its value never appears in the model or the stack.

A secret without a version breaks the first apply: ECS cannot start a task whose secret has no
value (ResourceInitializationError), so the units would stay at zero tasks. Each secret
therefore gets a placeholder version that Terraform creates once and then never looks at
again (`ignore_changes`); the real value is set out of band with `aws secretsmanager
put-secret-value` (docs/aws.md, "Secrets on a first apply"), which makes the placeholder the
previous version. The placeholder is a fixed, public text, so nothing secret is in the state.
"""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion

from gen.model import names
from gen.model.environments import Environment
from providers import protect

PLACEHOLDER = "placeholder set by gen: replace it with aws secretsmanager put-secret-value"


def build(stack: TerraformStack, env: Environment) -> tuple[dict, dict]:
    """(secrets, their placeholder versions), by model name: a service that injects a secret
    waits for its version (compute.py)."""
    secrets, versions = {}, {}
    for secret in env.app.secrets.values():
        tf = names.terraform_name(secret.name, "secret")
        secrets[secret.name] = SecretsmanagerSecret(
            stack, tf,
            name=f"{env.app.name}/{env.name}/{secret.name}",
            description=secret.description or f"{secret.name} of {env.app.name} {env.name}; value set out of band",
            # A preview's secrets go with it; elsewhere a deleted secret can be restored for 30 days.
            recovery_window_in_days=0 if env.type == "preview" else 30,
            lifecycle=protect(env),
        )
        versions[secret.name] = SecretsmanagerSecretVersion(
            stack, f"{tf}_placeholder", secret_id=secrets[secret.name].id, secret_string=PLACEHOLDER,
            lifecycle={"ignore_changes": ["secret_string", "version_stages"]})
    return secrets, versions
