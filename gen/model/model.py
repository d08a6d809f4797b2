"""The app model as frozen dataclasses, built once from a validated file.

Every map is ordered by name, so output never depends on the order of keys in the file.
Field defaults come from the schema's `default` keywords: the schema is the one place
they are written down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import schemas


def frozen_map(items) -> Mapping:
    """An immutable mapping ordered by key."""
    return MappingProxyType(dict(sorted(dict(items).items())))


EMPTY: Mapping = frozen_map({})


def _default(definition: str, key: str):
    return schemas.load("app.schema")["$defs"][definition]["properties"][key]["default"]


@dataclass(frozen=True)
class Uses:
    databases: tuple[str, ...] = ()
    buckets: Mapping[str, str] = field(default_factory=lambda: EMPTY)  # name -> read | write | read-write
    topics: Mapping[str, str] = field(default_factory=lambda: EMPTY)  # name -> publish
    caches: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    services: tuple[str, ...] = ()  # the services it calls over HTTP

    def merged(self, other: "Uses") -> "Uses":
        """What two services sharing one process may touch together (the broader access wins)."""
        buckets = dict(self.buckets)
        for name, access in other.buckets.items():
            buckets[name] = access if buckets.get(name, access) == access else "read-write"
        return Uses(
            databases=tuple(sorted(set(self.databases) | set(other.databases))),
            buckets=frozen_map(buckets),
            topics=frozen_map({**self.topics, **other.topics}),
            caches=tuple(sorted(set(self.caches) | set(other.caches))),
            secrets=tuple(sorted(set(self.secrets) | set(other.secrets))),
            services=tuple(sorted(set(self.services) | set(other.services))),
        )


@dataclass(frozen=True)
class Service:
    name: str
    image: str  # the service's own image, else the app's
    own_image: bool
    port: int
    ingress: str  # public | internal | none
    path: str
    health_check: str | None  # None for ingress none
    command: tuple[str, ...] | None
    cpu: float | None  # None: the environment type's default
    memory: int | None
    min_instances: int | None
    max_instances: int | None
    env: Mapping[str, str]
    uses: Uses


@dataclass(frozen=True)
class Database:
    name: str
    engine: str
    version: str
    storage_gb: int


@dataclass(frozen=True)
class Bucket:
    name: str
    versioned: bool
    public: bool


@dataclass(frozen=True)
class Subscription:
    name: str
    topic: str
    service: str
    path: str
    max_retries: int
    ack_deadline_seconds: int


@dataclass(frozen=True)
class Topic:
    name: str
    subscriptions: Mapping[str, Subscription]


@dataclass(frozen=True)
class CronJob:
    name: str
    schedule: str
    service: str
    command: tuple[str, ...]


@dataclass(frozen=True)
class Cache:
    name: str
    engine: str
    memory_mb: int


@dataclass(frozen=True)
class Secret:
    name: str
    description: str | None


@dataclass(frozen=True)
class EnvironmentSpec:
    """An environment as written in the model; gen.model.environments resolves it."""

    name: str
    type: str
    cloud: str | None
    region: str | None
    account: str | None
    project: str | None
    emulate: str | None  # local environments: the cloud whose APIs the stand-ins speak (aws | gcp)
    process_allocation: str | Mapping[str, tuple[str, ...]]  # per-service | single | groups
    deploy: Mapping[str, str]
    approval: str | None
    domain: str | None
    alerts: tuple[str, ...]  # e-mail addresses production alarms notify
    network: Mapping[str, object]
    state: Mapping[str, str]
    tags: Mapping[str, str]
    overrides: Mapping[str, Mapping[str, Mapping[str, object]]]


@dataclass(frozen=True)
class App:
    name: str
    version: int
    image: str | None
    tags: Mapping[str, str]
    services: Mapping[str, Service]
    databases: Mapping[str, Database]
    buckets: Mapping[str, Bucket]
    topics: Mapping[str, Topic]
    cron: Mapping[str, CronJob]
    caches: Mapping[str, Cache]
    secrets: Mapping[str, Secret]
    environments: Mapping[str, EnvironmentSpec]


def _uses(raw: dict) -> Uses:
    return Uses(
        databases=tuple(sorted(raw.get("databases", []))),
        buckets=frozen_map(raw.get("buckets", {})),
        topics=frozen_map(raw.get("topics", {})),
        caches=tuple(sorted(raw.get("caches", []))),
        secrets=tuple(sorted(raw.get("secrets", []))),
        services=tuple(sorted(raw.get("services", []))),
    )


def _service(name: str, raw: dict, app_image: str | None) -> Service:
    ingress = raw.get("ingress", _default("service", "ingress"))
    command = raw.get("command")
    return Service(
        name=name,
        image=raw.get("image") or app_image,
        own_image="image" in raw,
        port=raw.get("port", _default("service", "port")),
        ingress=ingress,
        path=raw.get("path", _default("service", "path")),
        health_check=None if ingress == "none" else raw.get("health_check", _default("service", "health_check")),
        command=tuple(command) if command is not None else None,
        cpu=raw.get("cpu"),
        memory=raw.get("memory"),
        min_instances=raw.get("min_instances"),
        max_instances=raw.get("max_instances"),
        env=frozen_map(raw.get("env", {})),
        uses=_uses(raw.get("uses", {})),
    )


def _environment(name: str, raw: dict) -> EnvironmentSpec:
    allocation = raw.get("process_allocation", "per-service")
    if isinstance(allocation, dict):
        allocation = frozen_map({g: tuple(s) for g, s in allocation["groups"].items()})
    overrides = raw.get("overrides", {})
    return EnvironmentSpec(
        name=name,
        type=raw["type"],
        cloud=raw.get("cloud"),
        region=raw.get("region"),
        account=raw.get("account"),
        project=raw.get("project"),
        emulate=raw.get("emulate", _default("environment", "emulate")) if raw["type"] == "local" else None,
        process_allocation=allocation,
        deploy=frozen_map(raw.get("deploy", {"trigger": "manual"})),
        approval=raw.get("approval"),
        domain=raw.get("domain"),
        alerts=tuple(raw.get("alerts", {}).get("email", ())),
        network=frozen_map({k: tuple(v) if isinstance(v, list) else v for k, v in raw.get("network", {}).items()}),
        state=frozen_map(raw.get("state", {})),
        tags=frozen_map(raw.get("tags", {})),
        overrides=frozen_map({
            kind: frozen_map({n: frozen_map(v) for n, v in overrides.get(kind, {}).items()})
            for kind in ("services", "databases", "caches")
        }),
    )


def build(raw: dict) -> App:
    """Build the frozen model from a file's value that passed validation."""
    image = raw.get("image")
    return App(
        name=raw["app"],
        version=raw.get("version", 1),
        image=image,
        tags=frozen_map(raw.get("tags", {})),
        services=frozen_map({n: _service(n, s, image) for n, s in raw["services"].items()}),
        databases=frozen_map({
            n: Database(n, d.get("engine", _default("database", "engine")),
                        d.get("version", _default("database", "version")),
                        d.get("storage_gb", _default("database", "storage_gb")))
            for n, d in raw.get("databases", {}).items()}),
        buckets=frozen_map({
            n: Bucket(n, b.get("versioned", _default("bucket", "versioned")),
                      b.get("public", _default("bucket", "public")))
            for n, b in raw.get("buckets", {}).items()}),
        topics=frozen_map({
            n: Topic(n, frozen_map({
                s: Subscription(s, n, sub["service"], sub["path"],
                                sub.get("max_retries", _default("subscription", "max_retries")),
                                sub.get("ack_deadline_seconds", _default("subscription", "ack_deadline_seconds")))
                for s, sub in t.get("subscriptions", {}).items()}))
            for n, t in raw.get("topics", {}).items()}),
        cron=frozen_map({
            n: CronJob(n, c["schedule"], c["service"], tuple(c["command"]))
            for n, c in raw.get("cron", {}).items()}),
        caches=frozen_map({
            n: Cache(n, c.get("engine", _default("cache", "engine")),
                     c.get("memory_mb", _default("cache", "memory_mb")))
            for n, c in raw.get("caches", {}).items()}),
        secrets=frozen_map({n: Secret(n, s.get("description")) for n, s in raw.get("secrets", {}).items()}),
        environments=frozen_map({n: _environment(n, e) for n, e in raw["environments"].items()}),
    )
