"""A seeded generator of valid app models: the space around the hand-made examples.

`model(seed)` gives a model that the contract says is valid: each resource kind alone and
together, public, internal and worker services, every process allocation, both clouds,
preview templates, imported networks, sizes stated or left to the type's defaults. The same
seed gives the same model on every machine. tests/test_model_space.py synthesizes them.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

CPUS = {"aws": {0.25: (512, 1024, 2048), 0.5: (1024, 2048, 4096), 1: (2048, 4096), 2: (4096, 8192)},
        "gcp": {0.25: (256, 512), 0.5: (512, 1024), 1: (512, 2048, 4096), 2: (1024, 4096, 8192)}}
SCHEDULES = ("0 3 * * *", "*/15 * * * *", "30 6 * * 1-5", "0 0 1 * *")
TYPES = ("production", "development", "preview")
ALERTS = "alerts" in json.loads((Path(__file__).resolve().parents[1] / "schemas" / "app.schema.json").read_text()).get(
    "$defs", {}).get("environment", {}).get("properties", {})


def _names(rng: random.Random, stem: str, count: int) -> list[str]:
    return [f"{stem}{i}" if i else stem for i in range(count)]


def _pick(rng: random.Random, items: list[str], most: int) -> list[str]:
    return sorted(rng.sample(items, rng.randint(0, min(most, len(items)))))


def model(seed: int, clouds: tuple[str, ...] = ("aws", "gcp"), services: int | None = None) -> dict:
    """A valid model, different for every seed. `services` fixes the number of services."""
    rng = random.Random(seed)
    app = f"m{seed}"
    cloud_of_sizes = rng.choice(clouds)  # sizes are stated so that both clouds can run them
    kinds = {kind: _names(rng, stem, rng.choice((0, 0, 1, 2))) for kind, stem in
             (("databases", "db"), ("buckets", "files"), ("topics", "events"), ("caches", "hot"), ("secrets", "key"))}
    count = services if services is not None else rng.randint(1, 5)
    names = [f"svc{i}" for i in range(count)]
    ingress = {name: rng.choice(("public", "internal", "none")) for name in names}
    raw: dict = {"app": app, "image": f"ghcr.io/acme/{app}:1.0.0", "services": {}}
    for i, name in enumerate(names):
        service: dict = {"ingress": ingress[name]}
        if ingress[name] == "public":
            service["path"] = "/" if not any(s.get("path") == "/" for s in raw["services"].values()) else f"/p{i}"
        if rng.random() < 0.2:  # a service of its own: another image, port or command
            service["image"] = f"ghcr.io/acme/{name}:2.0.0"
            if rng.random() < 0.5:
                service["port"] = rng.choice((3000, 8000, 9090))
        elif rng.random() < 0.15:
            service["command"] = ["run", name]
        if rng.random() < 0.3:  # one of cpu and memory, or both as a pair both clouds run
            cpu = rng.choice((0.5, 1))
            pair = {"cpu": cpu, "memory": 2048 if cpu == 1 else 1024}
            service.update(rng.choice((pair, {"cpu": cpu}, {"memory": pair["memory"]})))
        if rng.random() < 0.3:
            service["min_instances"] = rng.randint(1, 3)
        if rng.random() < 0.2:
            service["max_instances"] = service.get("min_instances", 1) + rng.randint(0, 5)
        if rng.random() < 0.3:
            service["env"] = {"LOG_LEVEL": "info"}
        uses: dict = {}
        for kind in ("databases", "caches", "secrets"):
            if chosen := _pick(rng, kinds[kind], 2):
                uses[kind] = chosen
        if chosen := _pick(rng, kinds["buckets"], 2):
            uses["buckets"] = {b: rng.choice(("read", "write", "read-write")) for b in chosen}
        if chosen := _pick(rng, kinds["topics"], 1):
            uses["topics"] = {t: "publish" for t in chosen}
        if uses:
            service["uses"] = uses
        raw["services"][name] = service
    if kinds["databases"]:
        raw["databases"] = {d: {"engine": "postgres", "version": rng.choice(("14", "15", "16", "17")),
                                "storage_gb": rng.choice((20, 50))} for d in kinds["databases"]}
    if kinds["buckets"]:
        raw["buckets"] = {b: {"versioned": rng.random() < 0.5, "public": rng.random() < 0.3} for b in kinds["buckets"]}
    if kinds["topics"]:
        raw["topics"] = {t: {"subscriptions": {
            f"{t}-to-{s}": {"service": s, "path": f"/events/{t}", "max_retries": rng.choice((5, 10))}
            for s in rng.sample(names, rng.randint(0, min(2, len(names))))}} for t in kinds["topics"]}
    if kinds["caches"]:
        raw["caches"] = {c: {"engine": "redis", "memory_mb": rng.choice((512, 1024, 1536, 2048))} for c in kinds["caches"]}
    if kinds["secrets"]:
        raw["secrets"] = {s: {"description": f"secret {s}"} for s in kinds["secrets"]}
    if rng.random() < 0.4:
        raw["cron"] = {f"job{i}": {"schedule": rng.choice(SCHEDULES), "service": rng.choice(names),
                                   "command": ["run", f"job{i}"]} for i in range(rng.randint(1, 2))}
    raw["environments"] = _environments(rng, app, names, clouds, any(v == "public" for v in ingress.values()),
                                       raw["services"])
    return raw


def _groups(rng: random.Random, services: dict) -> dict[str, list[str]]:
    """Services of a group share image, command and port: group by those, splitting some."""
    alike: dict[tuple, list[str]] = {}
    for name, s in services.items():
        alike.setdefault((s.get("image"), str(s.get("command")), s.get("port")), []).append(name)
    groups = {}
    for members in alike.values():
        cut = rng.randint(1, len(members))
        for part in (members[:cut], members[cut:]):
            if part:
                groups[f"grp-{len(groups)}"] = part
    return groups


def _environments(rng: random.Random, app: str, names: list[str], clouds: tuple[str, ...], public: bool,
                  raw_services: dict) -> dict:
    envs: dict = {}
    for env_type in rng.sample(TYPES, rng.randint(1, len(TYPES))):
        cloud = rng.choice(clouds)
        name = {"production": "prod", "development": "dev", "preview": "preview"}[env_type]
        env: dict = {"type": env_type, "cloud": cloud}
        if cloud == "aws":
            env.update(region=rng.choice(("eu-west-1", "us-east-1")), account=f"{rng.randint(10**11, 10**12 - 1)}")
        else:
            env.update(region=rng.choice(("europe-west1", "us-central1")), project=f"acme-{app}-{name}")
        allocation = rng.choice(("per-service", "single", "groups"))
        root = next((n for n, s in raw_services.items() if s.get("path") == "/"), None)
        shared = [n for n, s in raw_services.items() if "image" not in s and "command" not in s]
        if allocation == "single" and env_type == "production" and root in shared and any(
                raw_services[n]["ingress"] == "internal" for n in shared):
            allocation = "groups"  # production never puts internal services behind the public root
        if allocation == "single":
            env["process_allocation"] = "single"
        elif allocation == "groups":
            groups = _groups(rng, raw_services)
            if env_type == "production" and root is not None:
                home = next(g for g, members in groups.items() if root in members)
                inside = [n for n in groups[home] if raw_services[n]["ingress"] == "internal"]
                if inside:
                    groups[home] = [n for n in groups[home] if n not in inside]
                    groups[f"grp-{len(groups)}"] = inside
            env["process_allocation"] = {"groups": groups}
        if public and (env_type == "production" or rng.random() < 0.4):
            env["domain"] = ("{env}" if env_type == "preview" else name) + f".{app}.example.com"
        if env_type == "production" and ALERTS and rng.random() < 0.5:
            env["alerts"] = {"email": [f"oncall@{app}.example.com"]}
        if rng.random() < 0.25:
            env["network"] = ({"vpc_id": "vpc-0abc1234de", "public_subnet_ids": ["subnet-0a1b2c3d", "subnet-0a1b2c3e"],
                               "private_subnet_ids": ["subnet-0b1b2c3d", "subnet-0b1b2c3e"]} if cloud == "aws" else
                              {"network": "projects/acme-host/global/networks/shared",
                               "subnetwork": f"projects/acme-host/regions/{env['region']}/subnetworks/shared"})
        elif rng.random() < 0.3:
            env["network"] = {"cidr": rng.choice(("10.1.0.0/16", "10.20.0.0/16"))}
        if rng.random() < 0.3:
            env["deploy"] = {"trigger": "branch", "branch": "main"}
        envs[name] = env
    if rng.random() < 0.3:
        envs["local"] = {"type": "local"}
    return envs
