"""Build one AWS environment's CDKTF stack: provider, state backend and tags, then each kind of
resource in dependency order, each step handed what the earlier ones built."""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf import S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider

from gen.model.environments import Environment
from providers.aws import (
    alarms, buckets, caches, compute, cron, databases, domain, iam, load_balancing, network, outputs, secrets, topics,
)


@dataclass
class Built:
    """The data resources and log groups, by model name: what IAM, wiring and outputs refer to."""

    log_groups: dict = field(default_factory=dict)
    secrets: dict = field(default_factory=dict)
    databases: dict = field(default_factory=dict)
    caches: dict = field(default_factory=dict)
    buckets: dict = field(default_factory=dict)
    topics: dict = field(default_factory=dict)
    queues: dict = field(default_factory=dict)
    queue_unit: dict = field(default_factory=dict)
    dead_letters: dict = field(default_factory=dict)


def build(stack: TerraformStack, env: Environment) -> None:
    AwsProvider(
        stack, "aws",
        region=env.region,
        allowed_account_ids=[env.account],
        default_tags=[{"tags": dict(env.tags)}],
    )
    backend = S3Backend(stack, bucket=env.state.bucket, key=env.state.key, region=env.region, encrypt=True)
    # Terraform >= 1.10 locks S3 state with a lock file next to it; no DynamoDB table needed.
    backend.add_override("use_lockfile", True)

    net = network.build(stack, env)
    task_groups = compute.task_security_groups(stack, env, net)
    compute.service_calls(stack, env, task_groups)
    built = Built()
    built.log_groups = compute.log_groups(stack, env)
    built.secrets = secrets.build(stack, env)
    built.databases = databases.build(stack, env, net, task_groups)
    built.caches = caches.build(stack, env, net, task_groups)
    logs = buckets.access_logs(stack, env)
    built.buckets = buckets.build(stack, env, logs)
    messaging = topics.build(stack, env)
    built.topics, built.queues, built.queue_unit = messaging.topics, messaging.queues, messaging.queue_unit
    built.dead_letters = messaging.dead_letters
    roles = iam.build(stack, env, built)
    dom = domain.build(stack, env)
    balancing = load_balancing.build(stack, env, net, task_groups, dom, logs)
    units = compute.build(stack, env, net, built, roles, balancing, task_groups)
    cron.build(stack, env, net, roles, units, task_groups)
    alarms.build(stack, env, built, balancing, units)
    outputs.build(stack, env, built, balancing, dom)
