"""Secrets: one sensitive Terraform variable per model secret, named like the variable the services
get (STRIPE_KEY), plus `local_password` for the Postgres and Redis stand-ins. Values come from the
git-ignored `.gen/<env>.secrets.tfvars` (`-var-file`), never from the model or the stack's JSON.

With `emulate: aws` the secrets are also created in moto's Secrets Manager under their cloud
names (`<app>/<env>/<secret>`), for code that reads them through the SDK."""

from __future__ import annotations

import shlex

from cdktf import TerraformStack, TerraformVariable

from gen.model.environments import Environment
from gen.model.names import env_var

PASSWORD = "local_password"


def password(stack: TerraformStack) -> TerraformVariable:
    return TerraformVariable(stack, PASSWORD, type="string", sensitive=True, nullable=False,
                             description="Password of the local Postgres and Redis stand-ins (any value; set it once "
                                         "in the secrets file, changing it later needs the volumes recreated)")


def build(stack: TerraformStack, env: Environment) -> dict[str, TerraformVariable]:
    """An unset secret is empty, so the environment comes up before every secret has a value."""
    return {secret.name: TerraformVariable(
        stack, env_var(secret.name), type="string", default="", sensitive=True, nullable=False,
        description=secret.description or f"secret {secret.name}")
        for secret in env.app.secrets.values()}


def aws_name(env: Environment, secret: str) -> str:
    return f"{env.app.name}/{env.name}/{secret}"


def aws_commands(env: Environment) -> list[str]:
    """Create each secret in moto and set its value when it has one (the value from the setup
    container's environment, which holds the variable)."""
    out = []
    for secret in env.app.secrets.values():
        name, variable = shlex.quote(aws_name(env, secret.name)), env_var(secret.name)
        out.append(f"aws secretsmanager describe-secret --secret-id {name} >/dev/null 2>&1 "
                   f"|| aws secretsmanager create-secret --name {name} >/dev/null")
        out.append(f'if [ -n "${variable}" ]; then aws secretsmanager put-secret-value --secret-id {name} '
                   f'--secret-string "${variable}" >/dev/null; fi')
    return out


def setup_env(env: Environment, variables: dict[str, TerraformVariable]) -> list[str]:
    return [f"{env_var(name)}={variable.string_value}" for name, variable in variables.items()]
