"""The environment variables a unit gets for what its services use: one naming, both clouds.

Each provider fills in the values (an RDS endpoint or a Cloud SQL private IP, ...); the
names are the same on every cloud so a service's code does not change with it. A cloud
that has no such value (no database password under Google's IAM database authentication,
no queue behind a Pub/Sub push, no Redis AUTH string on AWS) sets no variable; every name
here is still reserved, so a model never means one thing on one cloud and another on the
other.
"""

from __future__ import annotations

from dataclasses import dataclass

from gen.model.model import App, Uses
from gen.model.names import env_var


@dataclass(frozen=True)
class Setting:
    """One injected variable: which resource, which attribute, and whether it comes from a secret store."""

    variable: str
    kind: str  # database | bucket | topic | cache | secret | queue | service
    resource: str
    attribute: str  # host, port, name, user, password, value, url ...
    secret: bool = False


def settings(app: App, unit) -> list[Setting]:
    """The variables of a deployment unit (gen.model.environments.Unit): the connection settings of
    what its services use, plus a queue URL per topic subscription its services consume."""
    uses: Uses = unit.uses
    subscriptions = [(topic.name, sub.name) for topic in app.topics.values()
                     for sub in topic.subscriptions.values() if sub.service in unit.services]
    out: list[Setting] = []
    for db in uses.databases:
        stem = f"{env_var(db)}_DATABASE"
        out += [Setting(f"{stem}_{attr.upper()}", "database", db, attr) for attr in ("host", "port", "name", "user")]
        out.append(Setting(f"{stem}_PASSWORD", "database", db, "password", secret=True))
    out += [Setting(f"{env_var(b)}_BUCKET", "bucket", b, "name") for b in uses.buckets]
    out += [Setting(f"{env_var(t)}_TOPIC", "topic", t, "id") for t in uses.topics]
    for cache in uses.caches:
        out += [Setting(f"{env_var(cache)}_CACHE_{attr.upper()}", "cache", cache, attr) for attr in ("host", "port")]
        # Where the cloud's Redis has an AUTH string (Memorystore); AWS's is TLS-only behind
        # security groups and sets no such variable.
        out.append(Setting(f"{env_var(cache)}_CACHE_AUTH", "cache", cache, "auth", secret=True))
    out += [Setting(env_var(s), "secret", s, "value", secret=True) for s in uses.secrets]
    out += [Setting(f"{env_var(sub)}_QUEUE_URL", "queue", f"{topic}/{sub}", "url") for topic, sub in subscriptions]
    # The callee's internal URL in the environment (each cloud says what that is).
    out += [Setting(f"{env_var(s)}_URL", "service", s, "url") for s in uses.services]
    return out


@dataclass(frozen=True)
class Call:
    """One declared service call (`uses.services`), placed on the deployment units that make and serve it."""

    caller: str
    caller_unit: str
    callee: str
    callee_unit: str
    port: int  # the port the callee's unit listens on


def calls(env) -> list[Call]:
    """Every declared call of a resolved environment (gen.model.environments.Environment), ordered:
    what providers turn into network rules (AWS) or invoker bindings (Google); nothing else may call."""
    out = []
    for caller in env.services.values():
        for callee in caller.uses.services:
            target = env.unit_of(callee)
            out.append(Call(caller.name, env.unit_of(caller.name).name, callee, target.name, target.port))
    return sorted(out, key=lambda c: (c.callee_unit, c.caller_unit, c.callee, c.caller))


def callers(env) -> dict[str, tuple[str, ...]]:
    """Callee unit -> the units that call one of its services (each pair once, a unit calling itself included)."""
    out: dict[str, set[str]] = {}
    for call in calls(env):
        out.setdefault(call.callee_unit, set()).add(call.caller_unit)
    return {unit: tuple(sorted(units)) for unit, units in sorted(out.items())}


RESERVED = ("SERVICES",)
