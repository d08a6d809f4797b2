"""Secrets Manager: one secret per model secret. Its value never appears in the model, the stack
or the state.

Terraform creates the secret and never a version of it. A placeholder version managed by
Terraform would let the first tasks start, but Terraform refreshes a version with
`GetSecretValue`, which the CI plan role (gen bootstrap: read-only, for every branch pusher)
must not have: every plan after the first apply would fail, or the plan role would read every
secret. So a unit that injects a secret cannot start its tasks until the secret has a value:
the first apply succeeds (ECS does not wait for a steady state), then a person sets each
value with `aws secretsmanager put-secret-value` and starts the services again
(docs/aws.md, "Secrets on a first apply").
"""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret

from gen.model import names
from gen.model.environments import Environment
from providers import protect


def build(stack: TerraformStack, env: Environment) -> dict[str, SecretsmanagerSecret]:
    """The secrets, by model name."""
    secrets = {}
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
    return secrets
