"""ElastiCache Redis: per cache a replication group in the private subnets, reachable only from
the tasks that use it, encrypted in transit and at rest, replicas and failover by type."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.elasticache_replication_group import ElasticacheReplicationGroup
from cdktf_cdktf_provider_aws.elasticache_subnet_group import ElasticacheSubnetGroup

from gen.model import names
from gen.model.environments import Environment
from providers import protect
from gen.model.clouds.aws import cache_node_type
from providers.aws.network import store_security_group

REDIS_PORT = 6379
REDIS_VERSION = "7.1"
SNAPSHOT_DAYS = {"production": 7}  # other types keep no snapshots


def build(stack: TerraformStack, env: Environment, network, task_groups: dict) -> dict[str, ElasticacheReplicationGroup]:
    if not env.caches:
        return {}
    subnets = ElasticacheSubnetGroup(stack, "cache_subnets", name=env.name_for("cache", names.AWS_ELASTICACHE_SUBNET_GROUP),
                                     description="private subnets of the environment's caches",
                                     subnet_ids=network.private_subnet_ids)
    caches = {}
    for cache in env.caches.values():
        tf = names.terraform_name(cache.name)
        group = store_security_group(stack, env, network, task_groups, cache.name, "cache", "redis", REDIS_PORT,
                                     [u.name for u in env.units.values() if cache.name in u.uses.caches])
        replication_id = env.name_for(cache.name, names.AWS_ELASTICACHE_REPLICATION_GROUP)
        failover = cache.replicas >= 1
        caches[cache.name] = ElasticacheReplicationGroup(
            stack, f"{tf}_cache", replication_group_id=replication_id,
            description=f"cache {cache.name} of {env.app.name} {env.name}",
            engine="redis", engine_version=REDIS_VERSION, node_type=cache_node_type(cache.memory_mb),
            num_cache_clusters=1 + cache.replicas, automatic_failover_enabled=failover, multi_az_enabled=failover,
            port=REDIS_PORT, subnet_group_name=subnets.name, security_group_ids=[group.id],
            at_rest_encryption_enabled="true", transit_encryption_enabled=True, transit_encryption_mode="required",
            auto_minor_version_upgrade="true",
            snapshot_retention_limit=SNAPSHOT_DAYS.get(env.type, 0),
            final_snapshot_identifier=f"{replication_id}-final" if env.prevent_destroy else None,
            lifecycle=protect(env))
    return caches
