"""Outputs: the environment's URL, each public service's URL, database endpoints, bucket names,
topic ARNs and queue URLs (names shared with the Google stacks where the meaning matches)."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack

from gen.model import names
from gen.model.environments import Environment
from providers import public_urls
from providers.aws import databases


def build(stack: TerraformStack, env: Environment, built, balancing, domain) -> None:
    if balancing.public is not None:
        base = f"https://{domain.name}" if domain else f"http://{balancing.public.dns_name}"
        for name, (url, description) in public_urls(env, base).items():
            TerraformOutput(stack, name, value=url, description=description)
    for name, db in built.databases.items():
        tf = names.terraform_name("database", name)
        TerraformOutput(stack, f"{tf}_host", value=db.instance.address, description=f"database {name}: host")
        TerraformOutput(stack, f"{tf}_endpoint", value=db.instance.endpoint, description=f"database {name}: host:port")
        TerraformOutput(stack, f"{tf}_password_secret", value=db.password_secret_arn,
                        description=f"database {name}: the Secrets Manager secret RDS keeps the master (admin) password in; "
                                    "services never get it")
        TerraformOutput(stack, f"{tf}_setup_sql", value=databases.setup_sql(env, name),
                        description=f"database {name}: the SQL an administrator runs once as the master user, creating "
                                    "the roles the units connect as with IAM authentication (docs/aws.md)")
    for name, bucket in built.buckets.items():
        TerraformOutput(stack, names.terraform_name("bucket", name, "name"), value=bucket.bucket)
    for name, topic in built.topics.items():
        TerraformOutput(stack, names.terraform_name("topic", name, "arn"), value=topic.arn)
    for key, queue in built.queues.items():
        topic, sub = key.split("/")
        TerraformOutput(stack, names.terraform_name("queue", topic, sub, "url"), value=queue.url)
    for name, cache in built.caches.items():
        TerraformOutput(stack, names.terraform_name("cache", name, "host"), value=cache.primary_endpoint_address)
