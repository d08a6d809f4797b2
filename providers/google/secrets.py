"""Secret Manager: one secret per model secret, automatically replicated, with no version: its value is
added out of band (`gcloud secrets versions add`) and never appears in the model or the Terraform."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_google.secret_manager_secret import SecretManagerSecret

from gen.model import names
from gen.model.environments import Environment
from providers import protect


def build(stack: TerraformStack, env: Environment, apis: dict) -> dict[str, SecretManagerSecret]:
    out = {}
    for secret in env.app.secrets.values():
        annotations = {"description": secret.description} if secret.description else None
        out[secret.name] = SecretManagerSecret(
            stack, names.terraform_name(secret.name, "secret"),
            secret_id=env.name_for(secret.name, names.GOOGLE_SECRET_ID),
            replication={"auto": {}}, annotations=annotations,
            deletion_protection=env.prevent_destroy,
            lifecycle=protect(env),
            depends_on=[apis["secretmanager"]])
    return out
