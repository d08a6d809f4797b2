"""Postgres: one container per distinct major version in the model, on a named volume, and a
one-shot container that creates each model database in it that does not exist yet."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from cdktf import TerraformStack
from cdktf_cdktf_provider_docker.container import Container
from cdktf_cdktf_provider_docker.volume import Volume

from gen.model.clouds import local
from gen.model.environments import Environment
from gen.model.names import terraform_name
from providers.docker import images
from providers.docker.network import labels, one_shot, stand_in

DATA = "/var/lib/postgresql/data"


@dataclass(frozen=True)
class Database:
    host: str  # on the Docker network
    host_port: int  # published on 127.0.0.1
    db_name: str
    ready: Container  # the container that created it


def db_name(name: str) -> str:
    return name.replace("-", "_")


def _create_script(names: list[str]) -> str:
    """Create each database unless it exists: idempotent, so a database added to the model later is
    created on the next apply, in a server whose volume already holds the others."""
    lines = ["set -e"]
    for name in names:
        exists = shlex.quote(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        lines.append(f"psql -tAc {exists} | grep -q 1 || psql -c {shlex.quote(f'CREATE DATABASE {name}')}")
    return "\n".join(lines)


def build(stack: TerraformStack, env: Environment, network, pulled: images.Images, password) -> dict[str, Database]:
    out = {}
    for version in local.postgres_versions(env):
        host = local.postgres_host(version)
        tf = terraform_name("postgres", version)
        volume = Volume(stack, f"{tf}_volume", name=f"{local.container_name(env, host)}-data", labels=labels(env))
        image = pulled.id(images.POSTGRES[version])
        server = stand_in(
            stack, env, network, tf, host, image, internal_port=local.POSTGRES_PORT,
            health=["CMD-SHELL", f"pg_isready -h 127.0.0.1 -U {local.POSTGRES_USER}"], volume=volume, data_path=DATA,
            variables=[f"POSTGRES_USER={local.POSTGRES_USER}", f"POSTGRES_PASSWORD={password.string_value}"])
        names = [db_name(d.name) for d in env.databases.values() if d.version == version]
        ready = one_shot(
            stack, env, network, f"{tf}_databases", f"{local.SETUP}-{host}", image, _create_script(names),
            variables=[f"PGHOST={host}", f"PGUSER={local.POSTGRES_USER}", f"PGPASSWORD={password.string_value}"],
            depends_on=[server])
        port = local.host_ports(env)[host]
        for d in env.databases.values():
            if d.version == version:
                out[d.name] = Database(host, port, db_name(d.name), ready)
    return out
