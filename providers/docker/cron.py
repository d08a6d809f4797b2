"""Cron: nothing is scheduled locally. Each job's command, run by hand in its unit's running
container, is an output (and `gen env show --name <local env>` lists it)."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack

from gen.model.clouds import local
from gen.model.environments import Environment
from gen.model.names import terraform_name


def build(stack: TerraformStack, env: Environment) -> None:
    for job, command in local.cron_commands(env).items():
        TerraformOutput(stack, terraform_name("cron", job, "command"), value=command,
                        description=f"runs cron job {job} by hand (local environments schedule nothing)")
