"""Cloud Run v2: one service per deployment unit, running as the unit's own service account, reaching the
VPC by Direct VPC egress, with its plain variables, the connection settings of what it uses, and Secret
Manager secrets mounted as environment variables."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_google.cloud_run_v2_service import CloudRunV2Service
from cdktf_cdktf_provider_google.logging_project_bucket_config import LoggingProjectBucketConfig
from cdktf_cdktf_provider_google.logging_project_exclusion import LoggingProjectExclusion
from cdktf_cdktf_provider_google.logging_project_sink import LoggingProjectSink

from gen.model import names, wiring
from gen.model.environments import Environment, Unit
from providers.google import databases as sql
from providers import blocks

LATEST = "latest"
FULL_CPU = 1  # below 1 vCPU Cloud Run needs concurrency 1, request-time CPU and the first generation
CONCURRENCY = 80  # requests an instance of 1 vCPU or more serves at once (Cloud Run's default, stated)
PROBE = {"period_seconds": 10, "failure_threshold": 6, "timeout_seconds": 5}

# Ingress by what a unit hosts: public units are reached only through the load balancer.
INGRESS = {"public": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER", "internal": "INGRESS_TRAFFIC_INTERNAL_ONLY",
           "none": "INGRESS_TRAFFIC_INTERNAL_ONLY"}


def cpu_limit(cpu: float) -> str:
    """Cloud Run's notation: 0.25 -> 250m, 1 -> 1."""
    return str(int(cpu)) if cpu >= 1 and float(cpu).is_integer() else f"{int(round(cpu * 1000))}m"


def container_env(env: Environment, unit: Unit, built) -> list[dict]:
    """The container's variables: plain ones with values, secrets as Secret Manager references."""
    plain = dict(unit.env)
    secret = {}
    for setting in wiring.settings(env.app, unit):
        if setting.kind == "database":
            if setting.attribute == "password":
                continue  # IAM database authentication: there is no password (docs/google.md)
            db = built.databases[setting.resource]
            if setting.attribute == "host":
                plain[setting.variable] = db.instance.private_ip_address
            elif setting.attribute == "port":
                plain[setting.variable] = str(sql.PORT)
            elif setting.attribute == "name":
                plain[setting.variable] = db.database.name
            elif setting.attribute == "user":
                plain[setting.variable] = built.accounts.database_user(unit.name)
            else:
                raise AssertionError(f"no Google value for {setting}")
        elif setting.kind == "secret":
            secret[setting.variable] = built.secrets[setting.resource].secret_id
        elif setting.kind == "bucket":
            plain[setting.variable] = built.buckets[setting.resource].name
        elif setting.kind == "topic":
            plain[setting.variable] = built.topics[setting.resource].id
        elif setting.kind == "cache":
            cache = built.caches[setting.resource]
            if setting.secret:
                secret[setting.variable] = cache.auth_secret.secret_id
            else:
                plain[setting.variable] = cache.instance.host if setting.attribute == "host" else cache.port
        elif setting.kind == "service":
            # The callee unit's deterministic URL (internal ingress: reached through the VPC); the
            # caller sends an ID token for it, which the callee accepts as a custom audience.
            plain[setting.variable] = unit_url(env, env.unit_of(setting.resource).name, built.project)
        elif setting.kind == "queue":
            continue  # Pub/Sub pushes to the unit at the subscription's path: there is no queue to poll
        else:
            raise AssertionError(f"no Google value for {setting}")
    for topic in env.app.topics.values():
        for sub in topic.subscriptions.values():
            if sub.service in unit.services:
                # Pub/Sub pushes with an OIDC token: a unit that anyone may invoke (a public one) must
                # verify it itself, so it is told what to expect (docs/google.md, "Pub/Sub").
                stem = names.env_var(sub.name)
                plain[f"{stem}_PUSH_AUDIENCE"] = unit_url(env, unit.name, built.project)
                plain[f"{stem}_PUSH_SERVICE_ACCOUNT"] = built.accounts.pushers[(topic.name, sub.name)].email
    for cache in unit.uses.caches:
        # Memorystore's TLS certificate is signed by a per-instance CA: clients that verify it (redis-py,
        # Jedis, ioredis) need its PEM. Google only: ElastiCache's certificates chain to a public CA.
        plain[f"{names.env_var(cache)}_CACHE_CA"] = built.caches[cache].ca_certificates
    return ([{"name": k, "value": v} for k, v in sorted(plain.items())]
            + [{"name": k, "value_source": {"secret_key_ref": {"secret": v, "version": LATEST}}}
               for k, v in sorted(secret.items())])


def sizing(env: Environment, unit: Unit) -> tuple[float, int]:
    """What Cloud Run gets: the unit's size as resolved, after gen.model.clouds.google's rounding (1
    vCPU for workers, and in production for a type default)."""
    cpu = unit.cpu if unit.cpu is not None else env.settings["cpu"]
    memory = unit.memory if unit.memory is not None else env.settings["memory"]
    return float(cpu), int(memory)


def min_instances(unit: Unit) -> int:
    """A worker (no HTTP ingress) keeps at least one instance: nothing would start it."""
    return max(1, unit.min_instances) if unit.ingress == "none" else unit.min_instances


def vpc_access(network) -> dict:
    # All egress through the VPC: internal-ingress units accept only traffic from it, and
    # Cloud SQL and Memorystore live on it; the internet is reached through Cloud NAT.
    return {"network_interfaces": blocks([{"network": network.network, "subnetwork": network.subnetwork}]),
            "egress": "ALL_TRAFFIC"}


def service_name(env: Environment, unit: str) -> str:
    return env.name_for(unit, names.GOOGLE_CLOUD_RUN_SERVICE)


def unit_url(env: Environment, unit: str, project) -> str:
    """A unit's deterministic Cloud Run URL, `https://<service>-<project number>.<region>.run.app`: known
    before the service exists (no cycle when units call each other or learn their own audience), and
    the unit's custom audience, so ID tokens minted for it are accepted. Service names are at most 49
    characters so that the host's first label stays within 63."""
    return f"https://{service_name(env, unit)}-{project.number}.{env.region}.run.app"


def job_name(env: Environment, job: str) -> str:
    return env.name_for(job, names.GOOGLE_CLOUD_RUN_JOB)


def logs(stack: TerraformStack, env: Environment, apis: dict) -> LoggingProjectBucketConfig:
    """The environment's Cloud Run logs, kept for the type's log retention in a log bucket of their own.

    A sink routes the logs of the environment's services and jobs there, and an exclusion keeps
    them out of the project's `_Default` bucket (30 days, shared by everything in the project).
    """
    services = " OR ".join(f'"{service_name(env, unit)}"' for unit in env.units)
    jobs = " OR ".join(f'"{job_name(env, job)}"' for job in env.app.cron)
    sources = f"resource.labels.service_name=({services})"
    if jobs:
        sources = f"({sources} OR resource.labels.job_name=({jobs}))"
    log_filter = f'resource.type=("cloud_run_revision" OR "cloud_run_job") AND {sources}'
    bucket = LoggingProjectBucketConfig(
        stack, "log_bucket", project=env.project, location=env.region,
        bucket_id=env.name_for("logs", names.GOOGLE_LOG_BUCKET),
        retention_days=int(env.settings["log_retention_days"]),
        description=f"Cloud Run logs of {env.app.name} {env.name}", depends_on=[apis["logging"]])
    LoggingProjectSink(stack, "log_sink", name=env.name_for("logs", names.GOOGLE_LOG_SINK),
                       destination=f"logging.googleapis.com/{bucket.id}", filter=log_filter,
                       unique_writer_identity=True, description=f"Cloud Run logs of {env.app.name} {env.name}")
    LoggingProjectExclusion(stack, "log_exclusion", name=env.name_for("logs", names.GOOGLE_LOG_SINK),
                            filter=log_filter,
                            description=f"{env.app.name} {env.name} keeps these logs in its own bucket",
                            depends_on=[apis["logging"]])
    return bucket


def build(stack: TerraformStack, env: Environment, network, built, grants: dict) -> dict[str, CloudRunV2Service]:
    out = {}
    for unit in env.units.values():
        tf = names.terraform_name(unit.name)
        cpu, memory = sizing(env, unit)
        fractional = cpu < FULL_CPU
        container = {
            "name": unit.name,
            "image": unit.image,
            "env": container_env(env, unit, built),
            "ports": {"container_port": unit.port},
            # A worker (ingress none) needs CPU outside requests; web units only while serving.
            "resources": {"limits": {"cpu": cpu_limit(cpu), "memory": f"{memory}Mi"},
                          "cpu_idle": unit.ingress != "none", "startup_cpu_boost": True},
        }
        if unit.command is not None:
            container["args"] = list(unit.command)  # like ECS `command`: replaces the image's CMD
        if unit.health_check:
            container["startup_probe"] = {"http_get": {"path": unit.health_check, "port": unit.port}, **PROBE}
            container["liveness_probe"] = {"http_get": {"path": unit.health_check, "port": unit.port}, **PROBE}
        template = {
            "service_account": built.accounts.units[unit.name].email,
            "scaling": {"min_instance_count": min_instances(unit),
                        "max_instance_count": unit.max_instances},
            "vpc_access": vpc_access(network),
            "execution_environment": "EXECUTION_ENVIRONMENT_GEN1" if fractional else "EXECUTION_ENVIRONMENT_GEN2",
            "containers": blocks([container]),
        }
        template["max_instance_request_concurrency"] = 1 if fractional else CONCURRENCY
        out[unit.name] = CloudRunV2Service(
            stack, f"{tf}_service", name=service_name(env, unit.name),
            location=env.region, ingress=INGRESS[unit.ingress], deletion_protection=env.prevent_destroy,
            invoker_iam_disabled=False, custom_audiences=[unit_url(env, unit.name, built.project)],
            description=f"{env.app.name} {env.name}: {', '.join(unit.services)}",
            template=template, depends_on=[built.apis["run"], *grants.get(unit.name, [])])
    return out
