"""Redis: one Valkey container per cache, appending to a named volume. With `emulate: gcp` it asks
for a password, as Memorystore's AUTH does (the services get it as <CACHE>_CACHE_AUTH); AWS's
ElastiCache in gen has no AUTH string, so neither does its local stand-in."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformStack
from cdktf_cdktf_provider_docker.container import Container
from cdktf_cdktf_provider_docker.volume import Volume

from gen.model.clouds import local
from gen.model.environments import Environment
from gen.model.names import terraform_name
from providers.docker import images
from providers.docker.network import labels, stand_in


@dataclass(frozen=True)
class Cache:
    host: str
    host_port: int
    auth: bool
    container: Container


def build(stack: TerraformStack, env: Environment, network, pulled: images.Images, password) -> dict[str, Cache]:
    out = {}
    auth = env.emulate == "gcp"
    for cache in env.caches.values():
        host = local.redis_host(cache.name)
        tf = terraform_name("redis", cache.name)
        volume = Volume(stack, f"{tf}_volume", name=f"{local.container_name(env, host)}-data", labels=labels(env))
        server = ["valkey-server", "--appendonly", "yes", "--maxmemory", f"{cache.memory_mb}mb"]
        if auth:
            # The password comes from the container's environment, not its command line; the
            # image's entrypoint still drops root before starting the server.
            settings = {"command": ["sh", "-c", " ".join(["exec docker-entrypoint.sh", *server,
                                                          '--requirepass "$REDIS_PASSWORD"'])],
                        "variables": [f"REDIS_PASSWORD={password.string_value}"]}
            health = ["CMD-SHELL", 'valkey-cli --no-auth-warning -a "$REDIS_PASSWORD" ping | grep -q PONG']
        else:
            settings = {"command": server}
            health = ["CMD-SHELL", "valkey-cli ping | grep -q PONG"]
        container = stand_in(stack, env, network, tf, host, pulled.id(images.VALKEY), internal_port=local.REDIS_PORT,
                             health=health, volume=volume, data_path="/data", **settings)
        out[cache.name] = Cache(host, local.host_ports(env)[host], auth, container)
    return out
