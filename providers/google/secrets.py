"""Secret Manager: one secret per model secret, automatically replicated, with a placeholder first
version so that a first `terraform apply` succeeds (Cloud Run refuses a revision whose secret has no
version). The real value is added out of band (`gcloud secrets versions add`) and never appears in the
model or the Terraform; Terraform ignores the placeholder's data and state afterwards."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformStack
from cdktf_cdktf_provider_google.secret_manager_secret import SecretManagerSecret
from cdktf_cdktf_provider_google.secret_manager_secret_version import SecretManagerSecretVersion

from gen.model import names
from gen.model.environments import Environment
from providers import protect

# Every placeholder starts with this; a service that reads a value starting with it knows that the
# secret has not been set yet (docs/google.md, "Secrets on a first apply"). No real key, token or
# password has this form.
PLACEHOLDER_PREFIX = "gen-placeholder:"


def placeholder(env: Environment, secret_id: str) -> str:
    return (f"{PLACEHOLDER_PREFIX} not a secret; set the value with: gcloud secrets versions add {secret_id} "
            f"--project {env.project} --data-file=-")


@dataclass(frozen=True)
class Secret:
    secret: SecretManagerSecret
    placeholder: SecretManagerSecretVersion  # version 1; Cloud Run reads `latest`

    @property
    def id(self):
        return self.secret.id

    @property
    def secret_id(self):
        return self.secret.secret_id


def build(stack: TerraformStack, env: Environment, apis: dict) -> dict[str, Secret]:
    out = {}
    for secret in env.app.secrets.values():
        tf = names.terraform_name(secret.name, "secret")
        secret_id = env.name_for(secret.name, names.GOOGLE_SECRET_ID)
        annotations = {"description": secret.description} if secret.description else None
        resource = SecretManagerSecret(
            stack, tf, secret_id=secret_id,
            replication={"auto": {}}, annotations=annotations,
            deletion_protection=env.prevent_destroy,
            lifecycle=protect(env),
            depends_on=[apis["secretmanager"]])
        # The placeholder is never updated by Terraform: the versions added later hold the value, and
        # disabling or destroying this one out of band is not undone (do not destroy it: Terraform
        # would add a new placeholder, which would become `latest`).
        version = SecretManagerSecretVersion(
            stack, f"{tf}_placeholder", secret=resource.id, secret_data=placeholder(env, secret_id),
            lifecycle={"ignore_changes": ["secret_data", "enabled"]})
        out[secret.name] = Secret(resource, version)
    return out
