"""What an AWS environment cannot express, as validation problems (no cdktf here).

Also the pure translations that both validation and the stack need, so they agree: a
5-field cron schedule to EventBridge Scheduler's `cron(...)`, and a cache size to the
smallest ElastiCache node type that holds it.
"""

from __future__ import annotations

import re

from gen.model import cron
from gen.model.clouds import yield_partner

# Fargate task sizes: vCPU -> allowed memory in MiB.
FARGATE_MEMORY = {
    0.25: (512, 1024, 2048),
    0.5: tuple(range(1024, 4096 + 1, 1024)),
    1: tuple(range(2048, 8192 + 1, 1024)),
    2: tuple(range(4096, 16384 + 1, 1024)),
    4: tuple(range(8192, 30720 + 1, 1024)),
}

# ElastiCache (Redis OSS) node types, smallest first, with their memory in MiB
# (AWS's published GiB figures x 1024, rounded down). A cache gets the smallest that
# holds its memory_mb.
CACHE_NODE_TYPES = (
    ("cache.t4g.micro", 512),
    ("cache.t4g.small", 1402),
    ("cache.t4g.medium", 3164),
    ("cache.m7g.large", 6533),
    ("cache.m7g.xlarge", 13240),
    ("cache.r7g.xlarge", 27095),
    ("cache.r7g.2xlarge", 54087),
    ("cache.r7g.4xlarge", 108349),
)


def _fargate_fits(cpu, memory) -> bool:
    return memory in FARGATE_MEMORY.get(cpu, ())


def fit_service(cpu, memory, cpu_stated: bool, memory_stated: bool, env_type: str | None = None):
    cpu2, memory2 = yield_partner(FARGATE_MEMORY, cpu, memory, cpu_stated, memory_stated, _fargate_fits)
    return cpu2, memory2, "Fargate runs only certain cpu/memory pairs; the type's default yields to the stated value"


def fit_unit(ingress: str, cpu, memory):
    """A unit hosting several services takes the largest cpu and memory among them; where that
    pair is not a Fargate size, memory (then cpu) rounds up to the nearest one."""
    if _fargate_fits(cpu, memory):
        return cpu, memory, None
    for size in sorted(c for c in FARGATE_MEMORY if c >= cpu):
        larger = [m for m in FARGATE_MEMORY[size] if m >= memory]
        if larger:
            return size, larger[0], "its services' largest cpu and memory are no Fargate size together: rounded up"
    return cpu, memory, None


def fit_cache(memory_mb: int):
    return memory_mb, None  # ElastiCache: the smallest node that holds it (cache_node_type)


def cache_node_type(memory_mb: int) -> str | None:
    """The smallest node type with at least `memory_mb` MiB, or None when none is that large."""
    return next((node for node, mib in CACHE_NODE_TYPES if mib >= memory_mb), None)


class ScheduleError(ValueError):
    pass


_AWS_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def _days(field: str) -> set[int]:
    """The days of week (0=Sunday .. 6) a cron day-of-week field names."""
    days: set[int] = set()
    for item in field.split(","):
        base, _, step = item.partition("/")
        if base == "*":
            low, high = 0, 6
        else:
            start, _, end = base.partition("-")
            low = _day(start)
            high = _day(end) if end else (low if not step else 7)
        for day in range(low, high + 1, int(step or 1)):
            days.add(day % 7)
    return days


def _day(token: str) -> int:
    """0-7 as written (7 is Sunday again, folded by the caller), or a name's number."""
    return int(token) if token.isdigit() else cron.DAYS.index(token)


def _day_list(days: set[int]) -> str:
    """Names, with runs of three or more consecutive days as ranges: MON-FRI, SUN,WED."""
    ordered = sorted(days)
    parts, run = [], [ordered[0]]
    for day in ordered[1:]:
        if day == run[-1] + 1:
            run.append(day)
        else:
            parts.append(run)
            run = [day]
    parts.append(run)
    out = []
    for run in parts:
        if len(run) >= 3:
            out.append(f"{_AWS_DAYS[run[0]]}-{_AWS_DAYS[run[-1]]}")
        else:
            out.extend(_AWS_DAYS[d] for d in run)
    return ",".join(out)


def _stepped(field: str, low: int) -> str:
    """EventBridge writes a step from the start as `low/n`, not `*/n`."""
    return ",".join(f"{low}/{item[2:]}" if item.startswith("*/") else item for item in field.split(","))


def eventbridge_expression(schedule: cron.Schedule) -> str:
    """`cron(minutes hours day-of-month month day-of-week year)` for EventBridge Scheduler.

    EventBridge needs `?` in exactly one of day-of-month and day-of-week, numbers its days
    1=SUN..7=SAT (names are used here, so there is no numbering to get wrong), and cannot
    say "this day of the month OR this weekday" as 5-field cron does when both are
    restricted: that raises ScheduleError.
    """
    dom, dow = schedule.day_of_month, schedule.day_of_week
    days = _days(dow) if dow != "*" else set(range(7))
    dow_restricted = days != set(range(7))
    if dom != "*" and dow_restricted:
        raise ScheduleError(
            f"{schedule} restricts both day-of-month ({dom}) and day-of-week ({dow}); cron runs on either, "
            "which EventBridge Scheduler cannot express: use one of the two, or two jobs")
    minute, hour = _stepped(schedule.minute, 0), _stepped(schedule.hour, 0)
    month = _stepped(schedule.month, 1)
    if dow_restricted:
        return f"cron({minute} {hour} ? {month} {_day_list(days)} *)"
    return f"cron({minute} {hour} {_stepped(dom, 1)} {month} ? *)"


def _memory_words(cpu) -> str:
    allowed = FARGATE_MEMORY[cpu]
    if len(allowed) <= 3:
        return ", ".join(map(str, allowed))
    return f"{allowed[0]} to {allowed[-1]} in steps of 1024"


def _fargate(env) -> list[tuple[str, str]]:
    problems = []
    for s in env.services.values():
        if s.cpu is not None and s.memory not in FARGATE_MEMORY.get(s.cpu, ()):
            pointer = s.origins["memory"] if "/environments/" not in s.origins["memory"] else s.origins["cpu"]
            if "/overrides/" in s.origins["memory"]:
                pointer = s.origins["memory"]
            problems.append((pointer, f"in aws environment {env.spec_name!r}, service {s.name!r} has cpu {s.cpu} "
                             f"with memory {s.memory} MiB, which is not a Fargate size; with {s.cpu} vCPU "
                             f"memory is {_memory_words(s.cpu)}"))
    return problems


def _schedules(env) -> list[tuple[str, str]]:
    problems = []
    for job in env.app.cron.values():
        try:
            eventbridge_expression(cron.parse(job.schedule))
        except ScheduleError as e:
            problems.append((f"/cron/{job.name}/schedule", f"in aws environment {env.spec_name!r}: {e}"))
        except cron.CronError:
            pass  # gen.model.validate reports a malformed schedule itself
    return problems


def _caches(env) -> list[tuple[str, str]]:
    problems = []
    largest, largest_mib = CACHE_NODE_TYPES[-1]
    for cache in env.caches.values():
        if cache_node_type(cache.memory_mb) is None:
            over = env.app.environments[env.spec_name].overrides["caches"].get(cache.name, {})
            pointer = (f"{env.pointer}/overrides/caches/{cache.name}/memory_mb" if "memory_mb" in over
                       else f"/caches/{cache.name}/memory_mb")
            problems.append((pointer, f"in aws environment {env.spec_name!r}, cache {cache.name!r} asks for "
                             f"{cache.memory_mb} MiB; the largest ElastiCache node gen uses ({largest}) has "
                             f"{largest_mib} MiB"))
    return problems


def _unit_names(env) -> list[tuple[str, str]]:
    """Units are reached by name in the Cloud Map namespace, and so are the services they host:
    a group may not take the name of a service that runs in another unit."""
    problems = []
    allocation = env.app.environments[env.spec_name].process_allocation
    if not isinstance(allocation, str):
        for unit in env.units.values():
            if unit.name in env.services and unit.name not in unit.services:
                problems.append((f"{env.pointer}/process_allocation/groups/{unit.name}",
                                 f"in aws environment {env.spec_name!r}, group {unit.name!r} has the name of service "
                                 f"{unit.name!r}, which runs in another unit; both would be "
                                 f"{unit.name}.<namespace> in service discovery: rename the group"))
    return problems


def _domain(env) -> list[tuple[str, str]]:
    spec = env.app.environments[env.spec_name]
    if env.domain and env.domain.count(".") < 2:
        return [(f"{env.pointer}/domain", f"in aws environment {env.spec_name!r}, {spec.domain!r} has no parent "
                 "zone to put its record in: gen looks up the Route53 zone of the domain without its first "
                 "label (shop.example.com -> example.com)")]
    return []


ACCESS_LOG_BUCKET = "access-logs"  # production's own log bucket (providers/aws/buckets.py)


def _reserved(env) -> list[tuple[str, str]]:
    if env.type == "production" and ACCESS_LOG_BUCKET in env.buckets:
        return [(f"/buckets/{ACCESS_LOG_BUCKET}", f"in aws environment {env.spec_name!r}: {ACCESS_LOG_BUCKET!r} is the "
                 "name of the bucket gen creates for a production environment's access logs; rename this bucket")]
    return []


# Registries an ECS task pulls from without credentials gen would have to hold: ECR through
# the execution role, and these public registries anonymously (their images must be public).
ECR_HOST = re.compile(r"^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
PUBLIC_REGISTRIES = ("docker.io", "index.docker.io", "registry-1.docker.io", "public.ecr.aws", "ghcr.io",
                     "quay.io", "registry.k8s.io", "mcr.microsoft.com")


def registry(image: str) -> str:
    """The registry host of an image reference (Docker's rule: a first part with '.', ':' or 'localhost')."""
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def _images(env) -> list[tuple[str, str]]:
    """ECS passes no registry credentials (gen keeps none): an image elsewhere than ECR or a
    public registry fails at the first task start. Refuse it here, where the fix is cheap."""
    problems = []
    for name in sorted(env.services):
        service = env.app.services[name]
        host = registry(service.image)
        if ECR_HOST.match(host) or host in PUBLIC_REGISTRIES:
            continue
        pointer = f"/services/{name}/image" if service.own_image else "/image"
        problems.append((pointer, f"in aws environment {env.spec_name!r}, ECS cannot pull {service.image!r}: it pulls "
                         f"from ECR (with the task's execution role) or anonymously from public registries "
                         f"({', '.join(PUBLIC_REGISTRIES[3:])}, Docker Hub), and {host!r} is neither. Push the "
                         "image to ECR, or let an ECR pull-through cache rule mirror the registry, and name the ECR image"))
    return sorted(set(problems))


def check(env) -> list[tuple[str, str]]:
    return (_fargate(env) + _schedules(env) + _caches(env) + _unit_names(env) + _domain(env) + _reserved(env)
            + _images(env))
