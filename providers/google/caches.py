"""Memorystore for Redis: per cache an instance on private services access (no public endpoint),
STANDARD_HA (a replica with automatic failover) in production and BASIC otherwise, TLS in transit, and
AUTH on; the AUTH string Google generates is copied into a Secret Manager secret (a reference, never a
literal in the Terraform) from which the units that use the cache read it. The server's certificate is
signed by a CA of the instance's own, whose PEM the units get as `<CACHE>_CACHE_CA`."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformStack
from cdktf_cdktf_provider_google.redis_instance import RedisInstance
from cdktf_cdktf_provider_google.secret_manager_secret import SecretManagerSecret
from cdktf_cdktf_provider_google.secret_manager_secret_version import SecretManagerSecretVersion

from gen.model import names
from gen.model.environments import Environment
from providers import protect

REDIS_VERSION = "REDIS_7_2"
SNAPSHOTS = {"persistence_mode": "RDB", "rdb_snapshot_period": "TWELVE_HOURS"}  # replicated (production) caches also snapshot
MIB_PER_GB = 1024


@dataclass(frozen=True)
class Cache:
    instance: RedisInstance
    auth_secret: SecretManagerSecret
    auth_version: SecretManagerSecretVersion  # a revision that reads the AUTH string waits for it

    @property
    def port(self) -> str:
        """The port the instance serves Redis on, as the instance reports it: with in-transit
        encryption Memorystore listens on 6378, not Redis's usual 6379 (`<CACHE>_CACHE_PORT`)."""
        return f"${{{self.instance.fqn}.port}}"

    @property
    def ca_certificates(self) -> str:
        """The PEM of the instance's server CAs (all of them: during a CA rotation there are two), for
        clients that verify the server's certificate (`<CACHE>_CACHE_CA`)."""
        return f'${{join("", {self.instance.fqn}.server_ca_certs[*].cert)}}'


def build(stack: TerraformStack, env: Environment, network, apis: dict) -> dict[str, Cache]:
    out = {}
    if not env.caches:
        return out  # and the API is not enabled either: nothing to depend on
    depends = [apis["redis"]] + ([network.private_services] if network.private_services is not None else [])
    for cache in env.caches.values():
        tf = names.terraform_name(cache.name, "cache")
        instance = RedisInstance(
            stack, tf, name=env.name_for(cache.name, names.GOOGLE_REDIS_INSTANCE), region=env.region,
            tier="STANDARD_HA" if cache.replicas else "BASIC", memory_size_gb=cache.memory_mb // MIB_PER_GB,
            redis_version=REDIS_VERSION, authorized_network=network.network, connect_mode="PRIVATE_SERVICE_ACCESS",
            transit_encryption_mode="SERVER_AUTHENTICATION", auth_enabled=True,
            display_name=f"{env.app.name} {env.name} {cache.name}",
            persistence_config=SNAPSHOTS if cache.replicas else None,
            lifecycle=protect(env), depends_on=depends)
        secret = SecretManagerSecret(
            stack, f"{tf}_auth", secret_id=env.name_for(f"{cache.name}-cache-auth", names.GOOGLE_SECRET_ID),
            replication={"auto": {}}, deletion_protection=env.prevent_destroy,
            annotations={"description": f"AUTH string of Memorystore instance {cache.name}"},
            depends_on=[apis["secretmanager"]])
        version = SecretManagerSecretVersion(stack, f"{tf}_auth_version", secret=secret.id,
                                             secret_data=instance.auth_string)
        out[cache.name] = Cache(instance, secret, version)
    return out
