"""What a Google Cloud environment cannot express, as validation problems (no cdktf here)."""

from __future__ import annotations

PUBSUB_MIN_DELIVERY_ATTEMPTS = 5  # Pub/Sub dead-letter policies allow 5 to 100
PUBSUB_MAX_DELIVERY_ATTEMPTS = 100

# Cloud Run: the most memory (MiB) an instance may have per vCPU, and the least for 4 vCPU.
# Below 1 vCPU: at most 512 MiB under 0.5 vCPU, at most 1 GiB under 1 vCPU.
CLOUD_RUN_MAX_MEMORY = {0.25: 512, 0.5: 1024, 1: 4096, 2: 8192, 4: 16384}
CLOUD_RUN_MIN_MEMORY = {4: 2048}
CLOUD_RUN_FULL_CPU = 1  # below this Cloud Run only allocates CPU while a request is processed
# Below 1 vCPU Cloud Run serves one request at a time per instance. Production gets at least 1 vCPU
# where its cpu is the type's default (a stated cpu wins), so instances serve requests concurrently.
PRODUCTION_MIN_CPU = 1

# Registries Cloud Run pulls from without credentials gen could give it: Artifact Registry (and
# gcr.io, served by Artifact Registry), Docker Hub, and GitHub's registry for public packages.
DOCKER_HUB = {"docker.io", "index.docker.io", "registry-1.docker.io"}
PULLABLE = "Artifact Registry (<location>-docker.pkg.dev, gcr.io), Docker Hub or public ghcr.io packages"


def registry(image: str) -> str:
    """The registry host of an image reference; `docker.io` where it names none (`nginx`, `acme/app`)."""
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first.lower()
    return "docker.io"


def pullable(host: str) -> bool:
    return (host in DOCKER_HUB or host.endswith("-docker.pkg.dev") or host == "docker.pkg.dev"
            or host == "gcr.io" or host.endswith(".gcr.io") or host == "ghcr.io")


def _default_cpu(env, service: str) -> bool:
    return env.services[service].origins["cpu"] == f"{env.pointer}/type"


def service_size(env, service: str) -> tuple[float | None, int | None]:
    """(vCPU, MiB) Cloud Run gets for a service: the resolved values, with a type default cpu rounded up
    to 1 vCPU in production (concurrent requests) and for a worker (CPU outside requests needs 1 vCPU),
    and up to the smallest size that allows the memory. `gen env show` shows these; a cpu the model
    states is never changed."""
    s = env.services[service]
    if s.cpu is None:
        return None, s.memory
    cpu = float(s.cpu)
    worker = env.unit_of(service).ingress == "none"
    if _default_cpu(env, service):
        if env.type == "production" or worker:
            cpu = max(cpu, float(PRODUCTION_MIN_CPU if env.type == "production" else CLOUD_RUN_FULL_CPU))
        if s.memory is not None and s.memory > CLOUD_RUN_MAX_MEMORY.get(cpu, 0):
            # the default yields to a stated memory: the smallest size that allows it
            cpu = float(next((c for c, most in sorted(CLOUD_RUN_MAX_MEMORY.items()) if c >= cpu and s.memory <= most),
                             cpu))
    return cpu, s.memory


def unit_size(env, unit) -> tuple[float | None, int | None]:
    """(vCPU, MiB) of a deployment unit on Cloud Run: the largest of its services'."""
    sizes = [service_size(env, s) for s in unit.services]
    cpus = [c for c, _ in sizes if c is not None]
    memories = [m for _, m in sizes if m is not None]
    return (max(cpus) if cpus else None), (max(memories) if memories else None)


def _where(env, service, field: str) -> str:
    """The pointer of the value that set a service's field; the type's default points at the environment."""
    return env.services[service].origins[field]


def _sizes(env) -> list[tuple[str, str]]:
    problems = []
    for s in env.services.values():
        cpu, memory = service_size(env, s.name)
        if cpu is None:
            continue
        cpu = int(cpu) if cpu.is_integer() else cpu
        most = CLOUD_RUN_MAX_MEMORY.get(cpu)
        least = CLOUD_RUN_MIN_MEMORY.get(cpu, 0)
        if most is None:
            problems.append((_where(env, s.name, "cpu"),
                             f"in gcp environment {env.spec_name!r}, service {s.name!r}: Cloud Run has no {s.cpu} vCPU size"))
        elif not least <= memory <= most:
            pointer = _where(env, s.name, "memory")
            if "/overrides/" not in pointer and "/overrides/" in _where(env, s.name, "cpu"):
                pointer = _where(env, s.name, "cpu")
            bounds = f"{least} to {most}" if least else f"at most {most}"
            problems.append((pointer, f"in gcp environment {env.spec_name!r}, service {s.name!r} has cpu {cpu} with "
                             f"memory {memory} MiB; Cloud Run allows {bounds} MiB with {cpu} vCPU"))
    for unit in env.units.values():
        cpu, _ = unit_size(env, unit)
        if unit.ingress == "none" and cpu is not None and cpu < CLOUD_RUN_FULL_CPU:
            # Only a stated cpu gets here: a type default is rounded up (service_size).
            service = next(s for s in unit.services if service_size(env, s)[0] == cpu)
            problems.append((_where(env, service, "cpu"),
                             f"in gcp environment {env.spec_name!r}, service {service!r} has ingress none (a worker "
                             f"that needs CPU outside requests) and cpu {env.services[service].cpu}; Cloud Run "
                             f"allocates CPU at all times only with at least {CLOUD_RUN_FULL_CPU} vCPU"))
    return problems


def _images(env) -> list[tuple[str, str]]:
    problems = {}
    for s in env.app.services.values():
        host = registry(s.image)
        pointer = f"/services/{s.name}/image" if s.own_image else "/image"
        if not pullable(host) and pointer not in problems:
            problems[pointer] = (f"in gcp environment {env.spec_name!r}, service {s.name!r}: Cloud Run cannot "
                             f"pull {s.image!r} from {host}; it pulls from {PULLABLE}. Copy the image into Artifact "
                             f"Registry, or reach {host} through an Artifact Registry remote repository, and name "
                             f"that image here")
    return list(problems.items())


def google_variables(env, unit) -> dict[str, str]:
    """Variables only the Google stacks inject (beyond gen.model.wiring's): name -> what sets it."""
    out = {}
    for cache in unit.uses.caches:
        out[f"{cache.upper().replace('-', '_')}_CACHE_CA"] = f"the server CA of cache {cache!r}"
    for topic in env.app.topics.values():
        for sub in topic.subscriptions.values():
            if sub.service in unit.services:
                stem = sub.name.upper().replace("-", "_")
                for suffix in ("PUSH_AUDIENCE", "PUSH_SERVICE_ACCOUNT"):
                    out[f"{stem}_{suffix}"] = f"Pub/Sub push of {topic.name}/{sub.name}"
    return out


def _variables(env) -> list[tuple[str, str]]:
    problems = []
    spec = env.app.environments[env.spec_name]
    for unit in env.units.values():
        injected = google_variables(env, unit)
        for name in unit.services:
            override = spec.overrides["services"].get(name, {}).get("env", {})
            for variable in env.services[name].env:
                if variable in injected:
                    pointer = (f"{env.pointer}/overrides/services/{name}/env/{variable}" if variable in override
                               else f"/services/{name}/env/{variable}")
                    problems.append((pointer, f"in gcp environment {env.spec_name!r}, gen sets {variable} itself "
                                     f"({injected[variable]}); choose another name"))
    return problems


def check(env) -> list[tuple[str, str]]:
    problems = []
    for topic in env.app.topics.values():
        for sub in topic.subscriptions.values():
            if not PUBSUB_MIN_DELIVERY_ATTEMPTS <= sub.max_retries <= PUBSUB_MAX_DELIVERY_ATTEMPTS:
                problems.append((f"/topics/{topic.name}/subscriptions/{sub.name}/max_retries",
                                 f"in gcp environment {env.spec_name!r}: Pub/Sub dead-letter policies need "
                                 f"{PUBSUB_MIN_DELIVERY_ATTEMPTS} to {PUBSUB_MAX_DELIVERY_ATTEMPTS} delivery "
                                 f"attempts, not {sub.max_retries}"))
    for cache in env.caches.values():
        if cache.memory_mb % 1024:
            pointer = (f"{env.pointer}/overrides/caches/{cache.name}/memory_mb"
                       if cache.name in env.app.environments[env.spec_name].overrides["caches"]
                       else f"/caches/{cache.name}/memory_mb")
            problems.append((pointer, f"in gcp environment {env.spec_name!r}: Memorystore sizes are whole GB, "
                             f"so memory_mb must be a multiple of 1024, not {cache.memory_mb}"))
    problems += _sizes(env)
    problems += _images(env)
    problems += _variables(env)
    return problems
