"""One container per deployment unit, following the environment's process allocation: the unit's
image and command, its plain variables, the variables the cloud stacks inject (the same names:
gen.model.wiring), the emulator endpoints, and `<SERVICE>_URL` for each service it calls. It
answers on the network by its unit name and by each of its services' names."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_docker.container import Container

from gen.model import wiring
from gen.model.clouds import local
from gen.model.environments import Environment, Unit
from gen.model.names import terraform_name
from providers import blocks
from providers.docker import buckets, images, topics
from providers.docker.network import labels


def variables(env: Environment, unit: Unit, built) -> dict[str, str]:
    """Name -> value of the unit's variables (secrets as references to their Terraform variables)."""
    out = dict(unit.env)
    out.update(local.emulator_variables(env))
    for setting in wiring.settings(env.app, unit):
        if setting.kind == "database":
            db = built.databases[setting.resource]
            out[setting.variable] = {"host": db.host, "port": str(local.POSTGRES_PORT), "name": db.db_name,
                                     "user": local.POSTGRES_USER, "password": built.password.string_value}[setting.attribute]
        elif setting.kind == "bucket":
            out[setting.variable] = buckets.name(env, setting.resource)
        elif setting.kind == "topic":
            out[setting.variable] = (topics.aws_topic_arn(env, setting.resource) if env.emulate == "aws"
                                     else topics.gcp_topic_id(env, setting.resource))
        elif setting.kind == "cache":
            cache = built.caches[setting.resource]
            if setting.attribute == "auth":
                if cache.auth:
                    out[setting.variable] = built.password.string_value
            else:
                out[setting.variable] = cache.host if setting.attribute == "host" else str(local.REDIS_PORT)
        elif setting.kind == "secret":
            out[setting.variable] = built.secrets[setting.resource].string_value
        elif setting.kind == "queue":
            if env.emulate == "aws":  # Pub/Sub pushes: there is no queue to poll
                out[setting.variable] = topics.aws_queue_url(env, *setting.resource.split("/"))
        elif setting.kind == "service":
            callee = env.unit_of(setting.resource)
            out[setting.variable] = f"http://{setting.resource}:{callee.port}"
        else:
            raise AssertionError(f"no local value for {setting}")
    return out


def build(stack: TerraformStack, env: Environment, network, pulled: images.Images, built, needs: list) -> dict[str, Container]:
    out = {}
    for unit in env.units.values():
        aliases = sorted({unit.name, *unit.services})
        out[unit.name] = Container(
            stack, terraform_name(unit.name, "container"), name=local.container_name(env, unit.name),
            image=pulled.id(unit.image), hostname=unit.name,
            command=list(unit.command) if unit.command is not None else None,
            env=[f"{k}={v}" for k, v in sorted(variables(env, unit, built).items())],
            networks_advanced=blocks([{"name": network.name, "aliases": aliases}]),
            memory=unit.memory, cpus=str(unit.cpu) if unit.cpu is not None else None,
            restart="unless-stopped", labels=labels(env), depends_on=needs or None)
    return out
