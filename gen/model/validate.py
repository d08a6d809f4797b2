"""Validate a model file: the JSON Schema, then every rule the contract implies.

All problems are reported at once, each located by line, column and JSON pointer. Checks
run in two passes: the first reads the raw value (the schema, references, cloud fields,
process groups, schedules) and is written to survive any input; the second, only for a
file the first pass found clean, resolves every environment and checks what depends on
the environment's type and cloud (instance bounds, Fargate pairs, injected variables).
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from difflib import get_close_matches
from functools import cache
from pathlib import Path
from typing import Mapping

import jsonschema

import schemas
from gen.model import clouds, cron, wiring
from gen.model.environments import SINGLE_UNIT, Environment, resolve, resolve_spec
from gen.model.errors import ModelError, Problem
from gen.model.model import App, build
from gen.model.source import Source, pointer_join, read

AWS_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$")
GCP_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
RESERVED_ENV_NAME = re.compile(r"^pr-[0-9]+$")
CLOUD_FIELDS = ("cloud", "region", "account", "project", "network", "domain", "state")
NAME_RULE = "lower-case kebab case ([a-z][a-z0-9-]*[a-z0-9], no '--'), at most 24 characters"
KINDS = {  # uses key -> (top-level map, singular)
    "databases": ("databases", "database"),
    "buckets": ("buckets", "bucket"),
    "topics": ("topics", "topic"),
    "caches": ("caches", "cache"),
    "secrets": ("secrets", "secret"),
}


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schemas.load("app.schema"))


def _obj(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _show(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def nearest(name: str, candidates) -> str | None:
    """The candidate a person most likely meant: same letters in another case, a prefix, or a close spelling."""
    candidates = [c for c in candidates if isinstance(c, str)]
    for candidate in candidates:
        if candidate.lower() == name.lower():
            return candidate
    prefixed = [c for c in candidates if len(name) >= 3 and c.startswith(name)]
    if len(prefixed) == 1:
        return prefixed[0]
    near = get_close_matches(name, candidates, n=1, cutoff=0.6)
    return near[0] if near else None


def did_you_mean(name, candidates, what: str) -> str:
    """`unknown <what> 'x'` plus the nearest known name, or the list of known names."""
    candidates = sorted(candidates)
    message = f"unknown {what} {_show(name)}"
    near = nearest(str(name), candidates)
    if near:
        return f"{message} (did you mean {near!r}?)"
    if not candidates:
        return f"{message} (the model declares none)"
    return f"{message} (known: {', '.join(candidates[:8])}{', ...' if len(candidates) > 8 else ''})"


class Report:
    """Collects problems for one file, located through its Source."""

    def __init__(self, source: Source):
        self.source = source
        self.problems: list[Problem] = list(source.duplicates)

    def add(self, pointer: str, message: str, key: bool = False) -> None:
        self.problems.append(self.source.problem(pointer, message, key))


# --- the schema ---------------------------------------------------------------------------

_TYPE_WORDS = {"object": "an object", "array": "a list", "string": "a string", "integer": "a whole number",
               "number": "a number", "boolean": "true or false", "null": "null"}


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}[type(value)]


def _schema_problems(report: Report) -> None:
    seen: set[tuple[str, str]] = set()
    for error in _validator().iter_errors(report.source.value):
        for pointer, message, key in _describe(error):
            if (pointer, message) not in seen:
                seen.add((pointer, message))
                report.add(pointer, message, key)


def _pointer(path) -> str:
    pointer = ""
    for part in path:
        pointer = pointer_join(pointer, part)
    return pointer


def _branch_types(schema: dict) -> set[str]:
    if "enum" in schema:
        return {_json_type(v) for v in schema["enum"]}
    kinds = schema.get("type", [])
    kinds = set(kinds if isinstance(kinds, list) else [kinds])
    return kinds | ({"integer"} if "number" in kinds else set())


def _describe(error: jsonschema.ValidationError):
    """(pointer, message, at_key) for one schema error, worded for a person."""
    pointer = _pointer(error.absolute_path)
    kind = error.validator
    value = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    if "propertyNames" in error.relative_schema_path:
        # The instance is the offending key; point at it.
        at = pointer_join(pointer, value)
        if kind == "pattern" and "[A-Z_]" in str(error.validator_value):
            return [(at, f"variable name {_show(value)} must be upper case letters, digits and '_', not starting with a digit", True)]
        if kind == "pattern" and "aws:" in str(error.validator_value):
            return [(at, f"tag key {_show(value)} starts with 'aws:', which AWS reserves", True)]
        if kind == "maxLength" and error.validator_value == 128:
            return [(at, f"tag key {_show(value)} is longer than 128 characters", True)]
        if kind == "minLength":
            return [(at, "tag key must not be empty", True)]
        return [(at, f"name {_show(value)} must be {NAME_RULE}", True)]
    if kind == "required":
        missing = [p for p in error.validator_value if isinstance(value, dict) and p not in value]
        return [(pointer_join(pointer, p), f"{p!r} is required", False) for p in missing]
    if kind == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        extras = [k for k in value if k not in allowed] if isinstance(value, dict) else []
        return [(pointer_join(pointer, k), did_you_mean(k, allowed, "key"), True) for k in extras]
    if kind in ("oneOf", "anyOf"):
        branches = [b for b in error.validator_value if _json_type(value) in _branch_types(b)]
        if len(branches) == 1 and error.context:
            # Only one form takes this JSON type: explain what is wrong inside it.
            index = error.validator_value.index(branches[0])
            inner = [e for e in error.context if e.relative_schema_path[0] == index]
            if inner:
                return [p for e in inner for p in _describe(e)]
        forms = " or ".join(b.get("title", "") for b in error.validator_value)
        return [(pointer, f"must be {forms}, not {_show(value)}", False)]
    if kind == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        words = " or ".join(_TYPE_WORDS.get(w, w) for w in wanted)
        return [(pointer, f"must be {words}, not {_TYPE_WORDS[_json_type(value)]}", False)]
    if kind == "enum":
        options = error.validator_value
        message = f"{_show(value)} is not one of {', '.join(_show(o) for o in options)}"
        if isinstance(value, str):
            near = nearest(value, options)
            if near:
                message += f" (did you mean {near!r}?)"
        return [(pointer, message, False)]
    if kind == "const":
        return [(pointer, f"must be {_show(error.validator_value)}, not {_show(value)}", False)]
    if kind == "pattern":
        hint = schema.get("description", "")
        if pointer == "/app":
            hint = NAME_RULE.replace("24", "16")
        elif error.validator_value == schemas.load("app.schema")["$defs"]["name"]["pattern"]:
            hint = NAME_RULE
        return [(pointer, f"{_show(value)} is not valid: {hint.rstrip('.')}", False)]
    if kind in ("minimum", "maximum"):
        word = "at least" if kind == "minimum" else "at most"
        return [(pointer, f"must be {word} {error.validator_value}, not {_show(value)}", False)]
    if kind in ("minLength", "maxLength"):
        word = "at least" if kind == "minLength" else "at most"
        return [(pointer, f"must be {word} {error.validator_value} characters long", False)]
    if kind == "minItems":
        return [(pointer, f"must list at least {error.validator_value}", False)]
    if kind == "minProperties":
        return [(pointer, f"must have at least {error.validator_value} entr{'y' if error.validator_value == 1 else 'ies'}", False)]
    if kind == "uniqueItems":
        return [(pointer, "lists the same entry twice", False)]
    return [(pointer, error.message, False)]


# --- rules on the raw value ---------------------------------------------------------------

def _references(report: Report, raw: dict) -> None:
    declared = {kind: list(_obj(raw.get(kind))) for kind in ("databases", "buckets", "topics", "caches", "secrets")}
    services = list(_obj(raw.get("services")))
    for name, service in _obj(raw.get("services")).items():
        uses = _obj(_obj(service).get("uses"))
        for field, (kind, singular) in KINDS.items():
            base = f"/services/{name}/uses/{field}"
            entries = uses.get(field)
            if isinstance(entries, dict):
                for ref in entries:
                    if ref not in declared[kind]:
                        report.add(pointer_join(base, ref), did_you_mean(ref, declared[kind], singular), key=True)
            for i, ref in enumerate(_list(entries)):
                if isinstance(ref, str) and ref not in declared[kind]:
                    report.add(f"{base}/{i}", did_you_mean(ref, declared[kind], singular))
    for name, service in _obj(raw.get("services")).items():
        _calls(report, raw, name, _obj(_obj(service).get("uses")).get("services"))
    for topic, body in _obj(raw.get("topics")).items():
        for sub, body2 in _obj(_obj(body).get("subscriptions")).items():
            ref = _obj(body2).get("service")
            if isinstance(ref, str) and ref not in services:
                report.add(f"/topics/{topic}/subscriptions/{sub}/service", did_you_mean(ref, services, "service"))
    for job, body in _obj(raw.get("cron")).items():
        ref = _obj(body).get("service")
        if isinstance(ref, str) and ref not in services:
            report.add(f"/cron/{job}/service", did_you_mean(ref, services, "service"))
    for env, body in _obj(raw.get("environments")).items():
        overrides = _obj(_obj(body).get("overrides"))
        for kind, names in (("services", services), ("databases", declared["databases"]), ("caches", declared["caches"])):
            for ref in _obj(overrides.get(kind)):
                if ref not in names:
                    report.add(f"/environments/{env}/overrides/{kind}/{ref}", did_you_mean(ref, names, kind[:-1]), key=True)


def _calls(report: Report, raw: dict, caller: str, callees) -> None:
    """`uses.services`: each callee exists, is not the caller and serves HTTP."""
    services = _obj(raw.get("services"))
    for i, callee in enumerate(_list(callees)):
        if not isinstance(callee, str):
            continue
        pointer = f"/services/{caller}/uses/services/{i}"
        if callee not in services:
            report.add(pointer, did_you_mean(callee, [s for s in services if s != caller], "service"))
        elif callee == caller:
            report.add(pointer, f"service {caller!r} calls itself; it needs no declaration to reach its own code")
        elif _obj(services[callee]).get("ingress", "internal") == "none":
            report.add(pointer, f"service {callee!r} has ingress none (a worker that serves no HTTP), so it cannot be called; "
                                "give it ingress internal")


def _services(report: Report, raw: dict) -> None:
    app_image = raw.get("image")
    public_paths: dict[str, str] = {}
    for name, service in _obj(raw.get("services")).items():
        if not isinstance(service, dict):
            continue
        base = f"/services/{name}"
        if not service.get("image") and not app_image:
            report.add(base, "has no image: set its \"image\" or the app's \"image\"")
        ingress = service.get("ingress", "internal")
        if "path" in service and ingress != "public":
            report.add(f"{base}/path", "only public services have a path (the public load balancer's routing prefix)")
        if "health_check" in service and ingress == "none":
            report.add(f"{base}/health_check", "a service with ingress none serves no HTTP, so it has no health check")
        if ingress == "public":
            path = service.get("path", "/")
            if isinstance(path, str):
                if path.rstrip("/") in public_paths:
                    other = public_paths[path.rstrip("/")]
                    report.add(f"{base}/path" if "path" in service else base,
                               f"public path {path!r} is also the path of public service {other!r}; public services need distinct paths")
                else:
                    public_paths[path.rstrip("/")] = name
        low, high = service.get("min_instances"), service.get("max_instances")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            report.add(f"{base}/min_instances", f"min_instances {low} is more than max_instances {high}")


def _schedules(report: Report, raw: dict) -> None:
    for job, body in _obj(raw.get("cron")).items():
        schedule = _obj(body).get("schedule")
        if isinstance(schedule, str):
            try:
                cron.parse(schedule)
            except cron.CronError as e:
                report.add(f"/cron/{job}/schedule", f"not a valid schedule: {e}")


def _hostname_problem(domain: str) -> str | None:
    host = domain.replace("{env}", "env")
    if "{" in host or "}" in host:
        return "the only placeholder a domain may hold is {env}"
    labels = host.split(".")
    if len(labels) < 2 or not all(HOST_LABEL.match(label) for label in labels):
        return f"{_show(domain)} is not a host name (lower-case labels of a-z, 0-9 and '-', separated by dots)"
    return None


def _environments(report: Report, raw: dict) -> None:
    services = _obj(raw.get("services"))
    has_public = any(_obj(s).get("ingress") == "public" for s in services.values())
    for name, env in _obj(raw.get("environments")).items():
        if not isinstance(env, dict):
            continue
        base = f"/environments/{name}"
        if RESERVED_ENV_NAME.match(name):
            report.add(base, f"names like {name!r} are reserved for preview environments (--env pr:<number>)", key=True)
        env_type, cloud = env.get("type"), env.get("cloud")
        if env_type == "local":
            for field in CLOUD_FIELDS:
                if field in env:
                    report.add(f"{base}/{field}", "not for a local environment, which runs on the developer's machine", key=True)
        elif isinstance(env_type, str):
            if "emulate" in env:
                report.add(f"{base}/emulate", f"only local environments emulate a cloud; a {env_type} environment runs on one", key=True)
            for field in ("cloud", "region"):
                if field not in env:
                    report.add(f"{base}/{field}", f"{field!r} is required for a {env_type} environment")
        if cloud in ("aws", "gcp") and env_type != "local":
            _cloud_fields(report, base, env, cloud)
        deploy = _obj(env.get("deploy"))
        if deploy.get("trigger") == "branch" and "branch" not in deploy:
            report.add(f"{base}/deploy/branch", "'branch' is required with trigger branch")
        if deploy.get("trigger") == "manual" and "branch" in deploy:
            report.add(f"{base}/deploy/branch", "a manual deploy has no branch", key=True)
        domain = env.get("domain")
        if isinstance(domain, str) and env_type != "local":
            problem = _hostname_problem(domain)
            if problem:
                report.add(f"{base}/domain", problem)
            elif env_type == "preview" and "{env}" not in domain:
                report.add(f"{base}/domain", "each pull request's environment needs its own host: put {env} in a preview domain")
            elif not has_public:
                report.add(f"{base}/domain", "a domain needs a public service to serve; no service has ingress public")
        elif domain is None and env_type == "production" and has_public:
            report.add(f"{base}/domain", "'domain' is required for a production environment with public services "
                                         "(production never serves plain HTTP; the domain gets a managed certificate)")
        if "alerts" in env and env_type != "production":
            report.add(f"{base}/alerts", "only production environments have alarms; remove alerts here", key=True)
        _allocation(report, raw, base, env.get("process_allocation"))


@dataclass(frozen=True)
class CloudFields:
    """What an environment on one cloud must and must not say."""

    owner: str  # the field naming the account or project
    owner_words: str
    region: re.Pattern
    region_example: str
    existing_network: tuple[str, ...]  # the fields that name an existing network


CLOUDS = {
    "aws": CloudFields("account", "12-digit AWS account id", AWS_REGION, "an AWS region (like us-east-1)",
                       ("vpc_id", "public_subnet_ids", "private_subnet_ids")),
    "gcp": CloudFields("project", "Google project id", GCP_REGION, "a Google Cloud region (like europe-west1)",
                       ("network", "subnetwork")),
}


def _cloud_fields(report: Report, base: str, env: dict, cloud: str) -> None:
    fields = CLOUDS[cloud]
    other_cloud, other = next((c, f) for c, f in CLOUDS.items() if c != cloud)
    if fields.owner not in env:
        report.add(f"{base}/{fields.owner}", f"{fields.owner!r} ({fields.owner_words}) is required for {cloud}")
    if other.owner in env:
        report.add(f"{base}/{other.owner}",
                   f"{other.owner!r} is for {other_cloud} environments; {cloud} ones name {'an' if fields.owner == 'account' else 'a'} {fields.owner!r}",
                   key=True)
    region = env.get("region")
    if isinstance(region, str) and not fields.region.match(region):
        report.add(f"{base}/region", f"{_show(region)} is not {fields.region_example}")
    existing, foreign = fields.existing_network, other.existing_network
    network = _obj(env.get("network"))
    for field in foreign:
        if field in network:
            report.add(f"{base}/network/{field}", f"not a network setting of {cloud} environments (use {', '.join(existing)} or cidr)", key=True)
    given = [f for f in existing if f in network]
    if "cidr" in network and given:
        report.add(f"{base}/network/cidr", f"either create a network (cidr) or use an existing one ({', '.join(existing)}), not both", key=True)
    elif given and len(given) != len(existing):
        for field in existing:
            if field not in network:
                report.add(f"{base}/network/{field}", f"an existing {cloud} network needs {', '.join(existing)}")
    cidr = network.get("cidr")
    if isinstance(cidr, str):
        try:
            net = ipaddress.IPv4Network(cidr, strict=True)
            if not 16 <= net.prefixlen <= 24:
                report.add(f"{base}/network/cidr", f"{cidr} is a /{net.prefixlen}; a network needs /16 to /24")
            elif not net.is_private:
                report.add(f"{base}/network/cidr", f"{cidr} is not a private range (10/8, 172.16/12, 192.168/16)")
        except ValueError as e:
            report.add(f"{base}/network/cidr", f"{_show(cidr)} is not an IPv4 network: {e}")


def _allocation(report: Report, raw: dict, base: str, allocation) -> None:
    services = _obj(raw.get("services"))
    app_image = raw.get("image")

    def runs(name):  # what a service runs: image, command and port; None where the value is itself invalid
        s = _obj(services.get(name))
        port = s.get("port", 8080)
        image = s.get("image") or app_image
        return (image if isinstance(image, str) else None,
                _show(s.get("command")) if "command" in s else "the image's default",
                port if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536 else None)

    if allocation == "single":
        shared = [n for n, s in services.items() if isinstance(s, dict) and "image" not in s and "command" not in s]
        ports = {runs(n)[2] for n in shared} - {None}
        if len(ports) > 1:
            report.add(f"{base}/process_allocation",
                       f"single puts {', '.join(shared)} in one unit, so they must share a port; they use {', '.join(sorted(map(str, ports)))}")
        if shared and SINGLE_UNIT in services and SINGLE_UNIT not in shared:
            report.add(f"{base}/process_allocation",
                       f"single names its shared unit {SINGLE_UNIT!r}, and service {SINGLE_UNIT!r} runs alone; rename the service")
        return
    groups = _obj(_obj(allocation).get("groups"))
    if not groups:
        return
    where: dict[str, str] = {}
    for group, members in groups.items():
        for i, member in enumerate(_list(members)):
            if not isinstance(member, str):
                continue
            pointer = f"{base}/process_allocation/groups/{group}/{i}"
            if member not in services:
                report.add(pointer, did_you_mean(member, services, "service"))
            elif member in where:
                report.add(pointer, f"service {member!r} is already in group {where[member]!r}; each service is in exactly one group")
            else:
                where[member] = group
        known = [m for m in _list(members) if isinstance(m, str) and m in services]
        if known:
            first = runs(known[0])
            for member in known[1:]:
                other = runs(member)
                for label, a, b in zip(("image", "command", "port"), first, other):
                    if a != b and None not in (a, b):
                        report.add(f"{base}/process_allocation/groups/{group}",
                                   f"services of a group share image, command and port: {known[0]!r} has {label} {a}, {member!r} has {b}")
    for name in services:
        if name not in where:
            report.add(f"{base}/process_allocation/groups", f"service {name!r} is in no group; each service is in exactly one group")


# --- rules on each resolved environment ---------------------------------------------------

def _resolved(report: Report, app: App) -> None:
    for spec in app.environments.values():
        env = resolve_spec(app, spec)
        for s in env.services.values():
            # A type default yields to a stated bound (gen.model.environments), so only two stated
            # bounds can conflict here; two on the service itself are reported by _services.
            if s.min_instances > s.max_instances and "/overrides/" in s.origins["min_instances"] + s.origins["max_instances"]:
                origin = s.origins["min_instances"] if "/overrides/" in s.origins["min_instances"] else s.origins["max_instances"]
                report.add(origin, f"in environment {spec.name!r}, service {s.name!r} would run min_instances "
                           f"{s.min_instances} > max_instances {s.max_instances}")
        for unit in env.units.values():
            _unit_variables(report, app, env, unit)
            _public_root_alone(report, env, spec, unit)
        for pointer, message in clouds.check(env):
            report.add(pointer, message)


def _public_root_alone(report: Report, env, spec, unit) -> None:
    """Production: a public service at `/` gets every path the other public services do not
    claim, so a unit that also hosts internal services would publish them; nothing on the
    path tells their requests apart."""
    if spec.type != "production" or "/" not in unit.public_paths or not unit.internal:
        return
    internal = [s for s in unit.services if env.services[s].ingress == "internal"]
    root = next(s for s in unit.services if env.services[s].ingress == "public" and env.services[s].path == "/")
    where = (f"{env.pointer}/process_allocation/groups/{unit.name}" if isinstance(spec.process_allocation, Mapping)
             else f"{env.pointer}/process_allocation")
    report.add(where, f"unit {unit.name!r} hosts public service {root!r} at '/' and internal service(s) "
                      f"{', '.join(internal)}: the public load balancer would serve them to the internet. "
                      "In production, give the internal services a unit of their own")


def _unit_variables(report: Report, app: App, env, unit) -> None:
    injected: dict[str, str] = {}
    for setting in wiring.settings(app, unit):
        what = f"{setting.kind} {setting.resource!r}"
        if setting.variable in injected and injected[setting.variable] != what:
            report.add(f"/{'topics' if setting.kind == 'queue' else setting.kind + 's'}/{setting.resource.split('/')[0]}",
                       f"its variable {setting.variable} is also the variable of {injected[setting.variable]}; rename one of them", key=True)
        injected.setdefault(setting.variable, what)
    for variable in wiring.RESERVED:
        injected.setdefault(variable, "the deployment unit's list of services")
    values: dict[str, tuple[str, str]] = {}
    for name in unit.services:
        service = env.services[name]
        override = env.app.environments[env.spec_name].overrides["services"].get(name, {}).get("env", {})
        for variable, value in service.env.items():
            pointer = (f"{env.pointer}/overrides/services/{name}/env/{variable}" if variable in override
                       else f"/services/{name}/env/{variable}")
            if variable in injected:
                report.add(pointer, f"gen sets {variable} itself ({injected[variable]}); choose another name", key=True)
            elif variable in values and values[variable][1] != value:
                report.add(pointer, f"in environment {env.spec_name!r}, unit {unit.name!r} runs {values[variable][0]!r} "
                           f"and {name!r} in one process, and they set {variable} differently", key=True)
            values.setdefault(variable, (name, value))


# --- entry points -------------------------------------------------------------------------

def check(source: Source) -> tuple[App | None, list[Problem]]:
    """Every problem of a parsed file, sorted by position, and the model when there are none."""
    report = Report(source)
    _schema_problems(report)
    raw = source.value
    _references(report, raw)
    _services(report, raw)
    _schedules(report, raw)
    _environments(report, raw)
    if report.problems:
        return None, sorted(set(report.problems))
    app = build(raw)
    _resolved(report, app)
    return (None if report.problems else app), sorted(set(report.problems))


def load_app(path: str | Path) -> App:
    """Read and validate a model file; raise InputError or ModelError, else return the frozen model."""
    app, problems = check(read(path))
    if problems:
        raise ModelError(problems)
    return app


def load_environment(app_path, name: str, from_env: str | None = None) -> Environment:
    """Validate a model file and resolve one of its environments (or a preview pr:<n>)."""
    return resolve(load_app(app_path), name, from_env)
