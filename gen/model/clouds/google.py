"""What a Google Cloud environment cannot express, as validation problems (no cdktf here)."""

from __future__ import annotations

from gen.model.clouds import yield_partner

PUBSUB_MIN_DELIVERY_ATTEMPTS = 5  # Pub/Sub dead-letter policies allow 5 to 100
PUBSUB_MAX_DELIVERY_ATTEMPTS = 100

# Cloud Run: the most memory (MiB) an instance may have per vCPU, and the least for 4 vCPU.
# Below 1 vCPU: at most 512 MiB under 0.5 vCPU, at most 1 GiB under 1 vCPU.
CLOUD_RUN_MAX_MEMORY = {0.25: 512, 0.5: 1024, 1: 4096, 2: 8192, 4: 16384}
CLOUD_RUN_MIN_MEMORY = {4: 2048}
CLOUD_RUN_FULL_CPU = 1  # below this Cloud Run only allocates CPU while a request is processed
MIB_PER_GB = 1024  # Memorystore sizes are whole GB
# Below 1 vCPU Cloud Run serves one request at a time per instance: in production a cpu that comes
# from the type's default rounds up to this, so instances serve requests concurrently (a stated cpu
# wins).
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


# The memory sizes a default may move to, per vCPU (those within Cloud Run's bounds are used).
CLOUD_RUN_SIZES = {c: sorted({CLOUD_RUN_MIN_MEMORY.get(c, 128), 512, 1024, 2048, 4096, 8192, 16384, top})
                   for c, top in CLOUD_RUN_MAX_MEMORY.items()}


def _cloud_run_fits(cpu, memory) -> bool:
    return cpu in CLOUD_RUN_MAX_MEMORY and CLOUD_RUN_MIN_MEMORY.get(cpu, 0) <= memory <= CLOUD_RUN_MAX_MEMORY[cpu]


def fit_service(cpu, memory, cpu_stated: bool, memory_stated: bool, env_type: str | None = None):
    """Production's default cpu rounds up to 1 vCPU (concurrent requests); then a default partner
    yields to a stated cpu or memory."""
    why = "Cloud Run bounds memory per vCPU; the type's default yields to the stated value"
    if env_type == "production" and cpu is not None and not cpu_stated and cpu < PRODUCTION_MIN_CPU:
        cpu = PRODUCTION_MIN_CPU
        why = (f"production on Cloud Run: below {PRODUCTION_MIN_CPU} vCPU an instance serves one request at a "
               f"time, so the type's default rounds up (a stated cpu wins)")
    cpu2, memory2 = yield_partner(CLOUD_RUN_SIZES, cpu, memory, cpu_stated, memory_stated, _cloud_run_fits)
    return cpu2, memory2, why


def fit_unit(ingress: str, cpu, memory):
    """A worker (no HTTP ingress) needs CPU outside requests, which Cloud Run allocates only
    with at least 1 vCPU: its cpu rounds up to that."""
    if ingress == "none" and cpu < CLOUD_RUN_FULL_CPU:
        return CLOUD_RUN_FULL_CPU, memory, (f"a worker needs CPU outside requests, which Cloud Run allocates "
                                            f"only with at least {CLOUD_RUN_FULL_CPU} vCPU")
    return cpu, memory, None


def fit_cache(memory_mb: int):
    whole = -(-memory_mb // MIB_PER_GB) * MIB_PER_GB
    return whole, "Memorystore sizes are whole GB: rounded up"


def _where(env, service, field: str) -> str:
    """The pointer of the value that set a service's field; the type's default points at the environment."""
    return env.services[service].origins[field]


def _sizes(env) -> list[tuple[str, str]]:
    problems = []
    for s in env.services.values():
        if s.cpu is None:
            continue
        most = CLOUD_RUN_MAX_MEMORY.get(s.cpu)
        least = CLOUD_RUN_MIN_MEMORY.get(s.cpu, 0)
        if most is None:
            problems.append((_where(env, s.name, "cpu"),
                             f"in gcp environment {env.spec_name!r}, service {s.name!r}: Cloud Run has no {s.cpu} vCPU size"))
        elif not least <= s.memory <= most:
            pointer = _where(env, s.name, "memory")
            if "/overrides/" not in pointer and "/overrides/" in _where(env, s.name, "cpu"):
                pointer = _where(env, s.name, "cpu")
            bounds = f"{least} to {most}" if least else f"at most {most}"
            problems.append((pointer, f"in gcp environment {env.spec_name!r}, service {s.name!r} has cpu {s.cpu} with "
                             f"memory {s.memory} MiB; Cloud Run allows {bounds} MiB with {s.cpu} vCPU"))
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
    problems += _sizes(env)
    problems += _images(env)
    problems += _variables(env)
    return problems
