"""Build one local environment's CDKTF stack on the Docker provider: local state, the network, the
stand-ins, the setup container, one container per unit and the reverse proxy, in dependency order."""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf import LocalBackend, TerraformStack
from cdktf_cdktf_provider_docker.provider import DockerProvider

from gen.model.clouds import local
from gen.model.environments import Environment
from providers.docker import (
    caches, compute, cron, databases, emulators, images, load_balancing, network, outputs, secrets,
)


@dataclass
class Built:
    """What the units and outputs refer to, by model name."""

    password: object = None  # the local_password variable, where a stand-in takes one
    secrets: dict = field(default_factory=dict)
    databases: dict = field(default_factory=dict)
    caches: dict = field(default_factory=dict)


def build(stack: TerraformStack, env: Environment) -> None:
    # The Docker engine of DOCKER_HOST, or the local socket.
    DockerProvider(stack, "docker")
    LocalBackend(stack, path=env.state.key)

    net = network.build(stack, env)
    pulled = images.Images(stack)
    built = Built()
    built.password = secrets.password(stack) if local.needs_password(env) else None
    built.secrets = secrets.build(stack, env)
    built.databases = databases.build(stack, env, net, pulled, built.password)
    built.caches = caches.build(stack, env, net, pulled, built.password)
    emulated = emulators.build(stack, env, net, pulled)
    setup = emulators.setup(stack, env, net, pulled, emulated, built.secrets)
    needs = [*emulated, *([setup] if setup is not None else []),
             *{db.host: db.ready for db in built.databases.values()}.values(),
             *(c.container for c in built.caches.values())]
    units = compute.build(stack, env, net, pulled, built, needs)
    proxy = load_balancing.build(stack, env, net, pulled, units)
    cron.build(stack, env)
    outputs.build(stack, env, built, proxy)
