"""What a local environment (Docker on the developer's machine) can express, and the names and
ports its stack and `gen env show` agree on (no cdktf here; providers/docker builds the stack).

A local environment runs every deployment unit as one container on one Docker network, next
to stand-ins for the cloud's services: Postgres (one container per major version), Redis
(one per cache) and an emulator of the cloud named by `emulate`. Each stand-in answers on the
network by a fixed host name; a service answers by its own name. A model whose service or
unit would take a stand-in's name, or that asks a local environment for what one container
per unit cannot do, gets a validation error here.
"""

from __future__ import annotations

import shlex

PROXY_PORT = 4000  # http://localhost:4000: the public services, routed by path
POSTGRES_PORT = 5432
REDIS_PORT = 6379
MOTO_PORT = 5000
GCS_PORT = 4443
PUBSUB_PORT = 8085
AWS_REGION = "us-east-1"  # the region moto answers for; any region works, one is fixed for determinism
MOTO_ACCOUNT = "123456789012"  # moto's default account: ARNs and queue URLs name it
POSTGRES_USER = "postgres"

# Host names of the stand-ins on the environment's Docker network (and the last part of their
# container names, `<app>-<env>-<host>`).
PROXY = "proxy"
MOTO = "moto"
GCS = "gcs"
PUBSUB = "pubsub"
SETUP = "setup"  # the one-shot container that creates buckets, topics, ... in the emulator


def postgres_host(version: str) -> str:
    return f"postgres-{version}"


def redis_host(cache: str) -> str:
    return f"redis-{cache}"


def postgres_versions(env) -> list[str]:
    return sorted({db.version for db in env.databases.values()}, key=int)


def emulators(env) -> list[str]:
    """The emulators the model needs: moto for buckets, topics or secrets (aws); fake-gcs-server
    for buckets and the Pub/Sub emulator for topics (gcp). Google has no Secret Manager emulator:
    secrets reach the services as variables, as on Cloud Run."""
    if env.emulate == "aws":
        return [MOTO] if env.buckets or env.app.topics or env.app.secrets else []
    return [GCS] * bool(env.buckets) + [PUBSUB] * bool(env.app.topics)


def stand_ins(env) -> list[str]:
    """The host names the stand-ins take on the network, for this environment's model."""
    hosts = [PROXY, SETUP] + [postgres_host(v) for v in postgres_versions(env)]
    hosts += [f"{SETUP}-{postgres_host(v)}" for v in postgres_versions(env)]
    hosts += [redis_host(c) for c in env.caches]
    return hosts + emulators(env)


def host_ports(env) -> dict[str, int]:
    """Host name -> the port published on 127.0.0.1: the stand-ins a developer's tools reach."""
    ports = {PROXY: PROXY_PORT}
    ports.update({postgres_host(v): POSTGRES_PORT + i for i, v in enumerate(postgres_versions(env))})
    ports.update({redis_host(c): REDIS_PORT + i for i, c in enumerate(env.caches)})
    ports.update({host: {MOTO: MOTO_PORT, GCS: GCS_PORT, PUBSUB: PUBSUB_PORT}[host] for host in emulators(env)})
    return ports


def container_name(env, host: str) -> str:
    """The Docker container of a unit or stand-in: `<app>-<env>-<host>`."""
    return f"{env.app.name}-{env.name}-{host}"


def network_name(env) -> str:
    return f"{env.app.name}-{env.name}"


def google_project(env) -> str:
    """The project id the Google emulators are addressed with (they accept any)."""
    return f"{env.app.name}-{env.name}"


def cron_commands(env) -> dict[str, str]:
    """Cron job -> the shell command that runs it by hand in its unit's running container
    (local environments schedule nothing)."""
    return {job.name: shlex.join(["docker", "exec", container_name(env, env.unit_of(job.service).name), *job.command])
            for job in env.app.cron.values()}


def check(env) -> list[tuple[str, str]]:
    problems = []
    where = f"in local environment {env.spec_name!r}"
    taken = set(stand_ins(env))
    for service in env.services:
        if service in taken:
            problems.append((f"/services/{service}", f"{where}, service {service!r} would answer on the Docker network "
                             f"by the name of a local stand-in ({', '.join(sorted(taken))} are taken); rename it"))
    for unit in env.units.values():
        if unit.name in taken and unit.name not in env.services:
            problems.append((f"{env.pointer}/process_allocation", f"{where}, unit {unit.name!r} would take the name "
                             f"of a local stand-in ({', '.join(sorted(taken))} are taken); rename the group"))
    overrides = env.app.environments[env.spec_name].overrides["services"]
    for service, override in overrides.items():
        if override.get("min_instances", 1) > 1:
            problems.append((f"{env.pointer}/overrides/services/{service}/min_instances",
                             f"{where}: each unit runs as one container, so min_instances can be at most 1, "
                             f"not {override['min_instances']}"))
    if env.emulate == "gcp":
        for topic in env.app.topics.values():
            for sub in topic.subscriptions.values():
                if env.unit_of(sub.service).ingress == "none":
                    problems.append((f"/topics/{topic.name}/subscriptions/{sub.name}/service",
                                     f"{where}: the Pub/Sub emulator pushes to {sub.service!r}, which serves no HTTP "
                                     f"(ingress none)"))
    return problems


def emulator_variables(env) -> dict[str, str]:
    """The variables every unit gets beside the cloud's own, so the cloud SDKs reach the emulators
    (none where the model needs no emulator)."""
    running = emulators(env)
    if MOTO in running:
        # moto accepts any credentials; the SDKs only need some to sign with.
        return {"AWS_ENDPOINT_URL": f"http://{MOTO}:{MOTO_PORT}", "AWS_REGION": AWS_REGION,
                "AWS_DEFAULT_REGION": AWS_REGION, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
    out = {}
    if GCS in running:
        out["STORAGE_EMULATOR_HOST"] = f"http://{GCS}:{GCS_PORT}"
    if PUBSUB in running:
        out["PUBSUB_EMULATOR_HOST"] = f"{PUBSUB}:{PUBSUB_PORT}"
    if running:
        out["GOOGLE_CLOUD_PROJECT"] = google_project(env)
    return out


def needs_password(env) -> bool:
    """Whether a stand-in takes the `local_password`: Postgres, and Redis under gcp (Memorystore AUTH)."""
    return bool(env.databases) or (env.emulate == "gcp" and bool(env.caches))
