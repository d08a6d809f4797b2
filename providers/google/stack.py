"""Build one Google Cloud environment's CDKTF stack: provider, state backend, labels and the project's
APIs, then each kind of resource in dependency order, each step handed what the earlier ones built."""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf import GcsBackend, TerraformStack
from cdktf_cdktf_provider_google.data_google_project import DataGoogleProject
from cdktf_cdktf_provider_google.project_service import ProjectService
from cdktf_cdktf_provider_google.provider import GoogleProvider

from gen.model.environments import Environment
from gen.model.names import google_label, terraform_name
from providers.google import (
    alarms, buckets, caches, compute, cron, databases, domain, iam, load_balancing, network, outputs, secrets, topics,
)


def labels(env: Environment) -> dict[str, str]:
    """The environment's tags as Google labels (lower case, label alphabet, at most 63)."""
    return {google_label(k, key=True): google_label(v) for k, v in env.tags.items()}


@dataclass
class Built:
    """What later steps refer to, by model name: APIs, the project, service accounts and data resources."""

    apis: dict = field(default_factory=dict)  # short API name (run, sqladmin, ...) -> ProjectService
    project: DataGoogleProject | None = None
    accounts: iam.Accounts | None = None
    secrets: dict = field(default_factory=dict)
    databases: dict = field(default_factory=dict)
    caches: dict = field(default_factory=dict)
    buckets: dict = field(default_factory=dict)
    topics: dict = field(default_factory=dict)


def needed_apis(env: Environment) -> list[str]:
    """The Google APIs this environment's resources use, as short names (`run` for run.googleapis.com)."""
    apis = {"compute", "iam", "logging", "run"}
    if (env.databases or env.caches) and "network" not in env.network:
        apis.add("servicenetworking")  # private services access is made only on a network gen creates
    if env.databases:
        apis.add("sqladmin")
    if env.caches:
        apis.update({"redis", "secretmanager"})  # the AUTH string is kept in Secret Manager
    if env.app.secrets:
        apis.add("secretmanager")
    if env.buckets:
        apis.add("storage")
    if env.app.topics:
        apis.add("pubsub")
    if env.app.cron:
        apis.add("cloudscheduler")
    if env.domain and any(u.public for u in env.units.values()):
        apis.add("dns")
    if env.type == "production":
        apis.add("monitoring")  # the alert policies (providers/google/alarms.py)
    return sorted(apis)


def project_services(stack: TerraformStack, env: Environment) -> dict[str, ProjectService]:
    """Enable each API the stack uses; never disable it on destroy (other workloads may use it)."""
    return {api: ProjectService(stack, terraform_name("api", api), service=f"{api}.googleapis.com",
                                disable_on_destroy=False, disable_dependent_services=False)
            for api in needed_apis(env)}


def build(stack: TerraformStack, env: Environment) -> None:
    provider = GoogleProvider(stack, "google", project=env.project, region=env.region)
    # cdktf writes a provider's arguments with every key snake-cased, map keys included
    # (environment-type would become environment_type); an override is written as given.
    provider.add_override("default_labels", labels(env))
    GcsBackend(stack, bucket=env.state.bucket, prefix=env.state.key)

    built = Built()
    built.apis = project_services(stack, env)
    built.project = DataGoogleProject(stack, "project", project_id=env.project)
    net = network.build(stack, env, built.apis)
    built.accounts = iam.accounts(stack, env, built.apis)
    built.secrets = secrets.build(stack, env, built.apis)
    built.databases = databases.build(stack, env, net, built.accounts, built.apis)
    built.caches = caches.build(stack, env, net, built.apis)
    built.buckets = buckets.build(stack, env, built.apis)
    built.topics = topics.build(stack, env, built.apis)
    grants = iam.build(stack, env, built)
    compute.logs(stack, env, built.apis)
    units = compute.build(stack, env, net, built, grants)
    iam.invokers(stack, env, built.accounts, units)
    cron.build(stack, env, net, built, grants)
    dead_letters = topics.subscriptions(stack, env, built, units)
    dom = domain.build(stack, env, built.apis)
    balancing = load_balancing.build(stack, env, units, dom, built.apis)
    domain.record(stack, env, dom, balancing)
    alarms.build(stack, env, built, units, balancing, dead_letters)
    outputs.build(stack, env, built, units, balancing, dom)
