"""Resolve an environment: the type's defaults, then the environment's own settings and overrides.

The result is everything a provider needs to build one stack, with no defaults left to
apply: sizing per service, deployment units, database and cache settings, tags, the state
backend, and the name the environment has in the cloud (`pr-72` for a preview).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Mapping

import schemas
from gen.model import clouds, names
from gen.model.errors import InputError
from gen.model.model import App, EnvironmentSpec, Service, Uses, frozen_map

PREVIEW = re.compile(r"^pr:([1-9][0-9]{0,8})$")
SINGLE_UNIT = "main"  # the unit that hosts the app image's services under `single`
MANAGED_BY = "gen"


@dataclass(frozen=True)
class ServiceSettings:
    """A service as it runs in one environment."""

    name: str
    image: str
    port: int
    ingress: str
    path: str
    health_check: str | None
    command: tuple[str, ...] | None
    cpu: float | None
    memory: int | None
    min_instances: int
    max_instances: int
    env: Mapping[str, str]
    uses: Uses
    origins: Mapping[str, str]  # field -> JSON pointer of the value that won


@dataclass(frozen=True)
class Unit:
    """A deployment unit: one ECS service / Cloud Run service hosting one or more services."""

    name: str
    services: tuple[str, ...]
    image: str
    command: tuple[str, ...] | None
    port: int
    public_paths: tuple[str, ...]  # routing prefixes of its public services
    internal: bool  # hosts a service with ingress internal
    health_check: str | None
    cpu: float | None
    memory: int | None
    min_instances: int
    max_instances: int
    env: Mapping[str, str]  # plain variables, SERVICES included
    uses: Uses

    @property
    def public(self) -> bool:
        return bool(self.public_paths)

    @property
    def ingress(self) -> str:
        return "public" if self.public else "internal" if self.internal else "none"


@dataclass(frozen=True)
class DatabaseSettings:
    name: str
    engine: str
    version: str
    storage_gb: int
    high_availability: bool
    backup_days: int
    deletion_protection: bool


@dataclass(frozen=True)
class CacheSettings:
    name: str
    engine: str
    memory_mb: int
    replicas: int
    deletion_protection: bool


@dataclass(frozen=True)
class BucketSettings:
    name: str
    versioned: bool
    public: bool
    force_destroy: bool


@dataclass(frozen=True)
class State:
    backend: str  # s3 | gcs | local
    bucket: str | None
    key: str  # s3 key, gcs prefix, or local path


@dataclass(frozen=True)
class Adjustment:
    """A value the environment runs with that is not the one the model or its type default gave:
    a default that yielded to a value the model states, or a value a cloud rounds up to what it
    offers. `gen env show` lists them, so a reader sees what the cloud actually gets."""

    pointer: str  # where the original value came from (a model field, or the environment's type)
    what: str  # e.g. "service worker cpu", "unit main cpu", "cache sessions memory_mb"
    was: object
    now: object
    why: str


@dataclass(frozen=True)
class Environment:
    app: App
    name: str  # the name in the cloud: the model's name, or pr-<n> for a preview
    spec_name: str  # the model's environment this one comes from
    type: str
    cloud: str | None
    region: str | None
    account: str | None
    project: str | None
    emulate: str | None  # local environments only: aws | gcp
    pull_request: int | None
    approval: str
    deploy: Mapping[str, str]
    domain: str | None
    alerts: tuple[str, ...]  # e-mail addresses production alarms notify (none: they notify nobody)
    network: Mapping[str, object]
    state: State
    tags: Mapping[str, str]  # gen's, then the app's, then the environment's, then preview's
    settings: Mapping[str, object]  # the type's defaults row (log retention, NAT gateways, ...)
    services: Mapping[str, ServiceSettings]
    units: Mapping[str, Unit]
    databases: Mapping[str, DatabaseSettings]
    caches: Mapping[str, CacheSettings]
    buckets: Mapping[str, BucketSettings]
    adjustments: tuple[Adjustment, ...] = ()

    @property
    def pointer(self) -> str:
        return f"/environments/{self.spec_name}"

    @property
    def target(self) -> str:
        """What the stack is built on: the cloud (aws | gcp), or docker for a local environment."""
        return self.cloud or "docker"

    @property
    def stack_name(self) -> str:
        """`<app>-<env>-<target>`: `shop-prod-aws`, `shop-local-docker`."""
        return f"{self.app.name}-{self.name}-{self.target}"

    @property
    def prevent_destroy(self) -> bool:
        return bool(self.settings["deletion_protection"])

    def unit_of(self, service: str) -> Unit:
        return next(u for u in self.units.values() if service in u.services)

    def name_for(self, resource: str, limit: int) -> str:
        """`<app>-<env>-<resource>`, shortened to `limit` with a stable hash."""
        return names.cloud_name(self.app.name, self.name, resource, limit)


def defaults_for(env_type: str) -> Mapping[str, object]:
    return frozen_map(schemas.load("defaults")[env_type])


def _service_settings(service: Service, spec: EnvironmentSpec, row: Mapping,
                      adjustments: list[Adjustment]) -> ServiceSettings:
    override = spec.overrides["services"].get(service.name, {})
    base = f"/services/{service.name}"
    here = f"/environments/{spec.name}/overrides/services/{service.name}"
    values, origins = {}, {}
    for field in ("cpu", "memory", "min_instances", "max_instances"):
        if field in override:
            values[field], origins[field] = override[field], f"{here}/{field}"
        elif getattr(service, field) is not None:
            values[field], origins[field] = getattr(service, field), f"{base}/{field}"
        else:
            values[field], origins[field] = row[field], f"/environments/{spec.name}/type"
    return _bounds_yield(ServiceSettings(
        name=service.name, image=service.image, port=service.port, ingress=service.ingress,
        path=service.path, health_check=service.health_check, command=service.command,
        env=frozen_map({**service.env, **override.get("env", {})}), uses=service.uses,
        origins=frozen_map(origins), **values,
    ), adjustments)


def stated(service: ServiceSettings, field: str) -> bool:
    """Whether the model states `field` for this service (itself or in an override), rather
    than the environment's type supplying it."""
    return not service.origins[field].endswith("/type")


def _bounds_yield(service: ServiceSettings, adjustments: list[Adjustment]) -> ServiceSettings:
    """A type default yields to the instance bound the model states: `min_instances: 2` with a
    preview's default `max_instances` of 1 runs with 2 and 2. Only two stated bounds conflict."""
    low, high = service.min_instances, service.max_instances
    if low <= high or stated(service, "min_instances") == stated(service, "max_instances"):
        return service
    field, value = ("max_instances", low) if stated(service, "min_instances") else ("min_instances", high)
    adjustments.append(Adjustment(service.origins[field], f"service {service.name} {field}", getattr(service, field),
                                  value, f"the type's default yields to the stated "
                                  f"{'min_instances' if field == 'max_instances' else 'max_instances'}"))
    return replace(service, **{field: value})


def _changed(adjustments: list[Adjustment], pointer: str, what: str, was, now, why: str | None) -> None:
    if now != was:
        adjustments.append(Adjustment(pointer, what, was, now, why or ""))


def _fit_service(cloud: str, env_type: str, s: ServiceSettings, adjustments: list[Adjustment]) -> ServiceSettings:
    """Where the model states one of cpu and memory, the type's default for the other yields to
    a size the cloud offers with it."""
    cpu, memory, why = clouds.fit_service(cloud, s.cpu, s.memory, stated(s, "cpu"), stated(s, "memory"), env_type)
    _changed(adjustments, s.origins["cpu"], f"service {s.name} cpu", s.cpu, cpu, why)
    _changed(adjustments, s.origins["memory"], f"service {s.name} memory", s.memory, memory, why)
    return replace(s, cpu=cpu, memory=memory)


def _fit_unit(cloud: str, unit: Unit, services: Mapping[str, ServiceSettings], adjustments: list[Adjustment]) -> Unit:
    """A unit's size rounded up to one its cloud offers (Cloud Run's 1 vCPU for a worker). The
    pointer is where the unit's value came from: the member service with the largest one."""
    if unit.cpu is None:
        return unit
    cpu, memory, why = clouds.fit_unit(cloud, unit.ingress, unit.cpu, unit.memory)
    origin = {field: next(services[m].origins[field] for m in unit.services if getattr(services[m], field) == getattr(unit, field))
              for field in ("cpu", "memory")}
    _changed(adjustments, origin["cpu"], f"unit {unit.name} cpu", unit.cpu, cpu, why)
    _changed(adjustments, origin["memory"], f"unit {unit.name} memory", unit.memory, memory, why)
    return replace(unit, cpu=cpu, memory=memory)


def _fit_cache(spec: EnvironmentSpec, cache: CacheSettings, adjustments: list[Adjustment]) -> CacheSettings:
    """A cache's memory rounded up to the granularity its cloud offers (Memorystore: whole GB)."""
    memory_mb, why = clouds.fit_cache(spec.cloud, cache.memory_mb)
    pointer = (f"/environments/{spec.name}/overrides/caches/{cache.name}/memory_mb"
               if "memory_mb" in spec.overrides["caches"].get(cache.name, {}) else f"/caches/{cache.name}/memory_mb")
    _changed(adjustments, pointer, f"cache {cache.name} memory_mb", cache.memory_mb, memory_mb, why)
    return replace(cache, memory_mb=memory_mb)


def _unit(name: str, members: list[ServiceSettings]) -> Unit:
    first = members[0]
    env: dict[str, str] = {}
    uses = Uses()
    for member in members:
        env.update(member.env)
        uses = uses.merged(member.uses)
    env["SERVICES"] = ",".join(m.name for m in members)
    http = [m for m in members if m.health_check]
    sized = [m for m in members if m.cpu is not None]
    return Unit(
        name=name,
        services=tuple(m.name for m in members),
        image=first.image,
        command=first.command,
        port=first.port,
        public_paths=tuple(sorted(m.path for m in members if m.ingress == "public")),
        internal=any(m.ingress == "internal" for m in members),
        health_check=http[0].health_check if http else None,
        cpu=max(m.cpu for m in sized) if sized else None,
        memory=max(m.memory for m in sized) if sized else None,
        min_instances=max(m.min_instances for m in members),
        max_instances=max(m.max_instances for m in members),
        env=frozen_map(env),
        uses=uses,
    )


def unit_members(app: App, allocation) -> dict[str, list[str]]:
    """Unit name -> service names, for a process allocation (per-service, single or groups)."""
    if allocation == "per-service":
        return {name: [name] for name in app.services}
    if allocation == "single":
        shared = [s.name for s in app.services.values() if not s.own_image and s.command is None]
        units = {SINGLE_UNIT: shared} if shared else {}
        units.update({name: [name] for name in app.services if name not in shared})
        return units
    return {group: list(members) for group, members in allocation.items()}


def _tags(app: App, spec: EnvironmentSpec, name: str, pull_request: int | None) -> Mapping[str, str]:
    tags = {"app": app.name, "environment": name, "environment-type": spec.type, "managed-by": MANAGED_BY}
    tags.update(app.tags)
    tags.update(spec.tags)
    if pull_request is not None:
        tags.update({"preview": "true", "pull-request": str(pull_request)})
    return frozen_map(tags)


def _state(app: App, spec: EnvironmentSpec, name: str) -> State:
    prefix = spec.state.get("prefix", app.name)
    if spec.type == "local":
        # Beside the stack folders, not in one: `gen synth` replaces a stack's folder, and the
        # state of a local environment must outlive that (out/local-state/<app>-<env>.tfstate).
        return State("local", None, f"../../local-state/{app.name}-{name}.tfstate")
    if spec.cloud == "aws":
        bucket = spec.state.get("bucket") or f"{app.name}-tfstate-{spec.account}"
        return State("s3", bucket, f"{prefix}/{name}/terraform.tfstate")
    bucket = spec.state.get("bucket") or f"{app.name}-tfstate-{spec.project}"
    return State("gcs", bucket, f"{prefix}/{name}")


def resolve_spec(app: App, spec: EnvironmentSpec, pull_request: int | None = None) -> Environment:
    """Resolve one environment of the model; a preview template becomes pr-<n> with `pull_request`."""
    name = f"pr-{pull_request}" if pull_request is not None else spec.name
    row = defaults_for(spec.type)
    adjustments: list[Adjustment] = []
    services = {s.name: _service_settings(s, spec, row, adjustments) for s in app.services.values()}
    if spec.cloud:
        services = {n: _fit_service(spec.cloud, spec.type, s, adjustments) for n, s in services.items()}
    units = {
        unit: _unit(unit, [services[m] for m in sorted(members)])
        for unit, members in unit_members(app, spec.process_allocation).items()
    }
    db_over = spec.overrides["databases"]
    cache_over = spec.overrides["caches"]
    caches = {
        c.name: CacheSettings(
            c.name, c.engine, cache_over.get(c.name, {}).get("memory_mb", c.memory_mb),
            row["cache_replicas"] or 0, bool(row["deletion_protection"]))
        for c in app.caches.values()}
    if spec.cloud:
        units = {n: _fit_unit(spec.cloud, u, services, adjustments) for n, u in units.items()}
        caches = {n: _fit_cache(spec, c, adjustments) for n, c in caches.items()}
    return Environment(
        app=app, name=name, spec_name=spec.name, type=spec.type, cloud=spec.cloud,
        region=spec.region, account=spec.account, project=spec.project, emulate=spec.emulate,
        pull_request=pull_request,
        approval=spec.approval or row["approval"],
        deploy=spec.deploy,
        domain=spec.domain.replace("{env}", name) if spec.domain else None,
        alerts=spec.alerts,
        network=spec.network,
        state=_state(app, spec, name),
        tags=_tags(app, spec, name, pull_request),
        settings=row,
        services=frozen_map(services),
        units=frozen_map(units),
        databases=frozen_map({
            d.name: DatabaseSettings(
                d.name, d.engine, d.version,
                db_over.get(d.name, {}).get("storage_gb", d.storage_gb),
                bool(row["database_high_availability"]), row["database_backup_days"] or 0,
                bool(row["deletion_protection"]))
            for d in app.databases.values()}),
        caches=frozen_map(caches),
        buckets=frozen_map({
            b.name: BucketSettings(b.name, b.versioned, b.public, bool(row["buckets_force_destroy"]))
            for b in app.buckets.values()}),
        adjustments=tuple(adjustments),
    )


def preview_templates(app: App) -> list[str]:
    return [e.name for e in app.environments.values() if e.type == "preview"]


def resolve(app: App, name: str, from_env: str | None = None) -> Environment:
    """Resolve an environment by name, or derive `pr:<n>` from the model's preview environment."""
    match = PREVIEW.match(name)
    if match:
        templates = preview_templates(app)
        if from_env is not None:
            if from_env not in templates:
                raise InputError(
                    f"--from {from_env}: not an environment of type preview"
                    + (f" (preview environments: {', '.join(templates)})" if templates else ""))
            template = from_env
        elif len(templates) == 1:
            template = templates[0]
        elif not templates:
            raise InputError(f"{name}: the model has no environment of type preview to derive it from")
        else:
            raise InputError(f"{name}: several preview environments ({', '.join(templates)}); pick one with --from NAME")
        return resolve_spec(app, app.environments[template], int(match.group(1)))
    if name.startswith("pr:"):
        raise InputError(f"{name}: a preview environment is pr:<number>, e.g. pr:72")
    if name not in app.environments:
        from difflib import get_close_matches

        near = get_close_matches(name, list(app.environments), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise InputError(f"{name}: no such environment{hint}; the model has {', '.join(app.environments)}")
    return resolve_spec(app, app.environments[name])

