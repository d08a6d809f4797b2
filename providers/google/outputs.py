"""Outputs: the environment's URL, each public service's URL, each unit's Cloud Run URL, database
connection names and private addresses, bucket names, topic ids and cache hosts (names shared with the
AWS stacks where the meaning matches)."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack

from gen.model import names
from gen.model.environments import Environment
from providers import public_urls
from providers.google import databases


def build(stack: TerraformStack, env: Environment, built, units: dict, balancing, domain) -> None:
    if balancing is not None:
        base = f"https://{domain.name}" if domain else f"http://{balancing.address.address}"
        for name, (url, description) in public_urls(env, base).items():
            TerraformOutput(stack, name, value=url, description=description)
    for name, service in units.items():
        TerraformOutput(stack, names.terraform_name("unit", name, "url"), value=service.uri,
                        description=f"Cloud Run URL of unit {name} (reachable per its ingress)")
    for name, db in built.databases.items():
        tf = names.terraform_name("database", name)
        TerraformOutput(stack, f"{tf}_connection_name", value=db.instance.connection_name,
                        description=f"database {name}: Cloud SQL connection name")
        TerraformOutput(stack, f"{tf}_host", value=db.instance.private_ip_address,
                        description=f"database {name}: private IP address")
        TerraformOutput(stack, f"{tf}_migration_account", value=built.accounts.migrators[name].email,
                        description=f"database {name}: the service account migrations run as")
        admin, grants = databases.setup_sql(env, name, built.accounts)
        TerraformOutput(stack, f"{tf}_setup_sql_admin", value=admin,
                        description=f"database {name}: run once as postgres, in the database (docs/google.md)")
        if grants:
            TerraformOutput(stack, f"{tf}_setup_sql_migrations", value=grants,
                            description=f"database {name}: run once as the migration user, before other migrations")
    for name, bucket in built.buckets.items():
        TerraformOutput(stack, names.terraform_name("bucket", name, "name"), value=bucket.name)
    for name, topic in built.topics.items():
        TerraformOutput(stack, names.terraform_name("topic", name, "id"), value=topic.id)
    for name, cache in built.caches.items():
        TerraformOutput(stack, names.terraform_name("cache", name, "host"), value=cache.instance.host)
