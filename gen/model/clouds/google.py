"""What a Google Cloud environment cannot express, as validation problems (no cdktf here)."""

from __future__ import annotations

PUBSUB_MIN_DELIVERY_ATTEMPTS = 5  # Pub/Sub dead-letter policies allow 5 to 100
PUBSUB_MAX_DELIVERY_ATTEMPTS = 100

# Cloud Run: the most memory (MiB) an instance may have per vCPU, and the least for 4 vCPU.
# Below 1 vCPU: at most 512 MiB under 0.5 vCPU, at most 1 GiB under 1 vCPU.
CLOUD_RUN_MAX_MEMORY = {0.25: 512, 0.5: 1024, 1: 4096, 2: 8192, 4: 16384}
CLOUD_RUN_MIN_MEMORY = {4: 2048}
CLOUD_RUN_FULL_CPU = 1  # below this Cloud Run only allocates CPU while a request is processed


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
    for unit in env.units.values():
        if unit.ingress == "none" and unit.cpu is not None and unit.cpu < CLOUD_RUN_FULL_CPU:
            service = next(s for s in unit.services if env.services[s].cpu == unit.cpu)
            problems.append((_where(env, service, "cpu"),
                             f"in gcp environment {env.spec_name!r}, service {service!r} has ingress none (a worker "
                             f"that needs CPU outside requests) and cpu {unit.cpu}; Cloud Run allocates CPU at all "
                             f"times only with at least {CLOUD_RUN_FULL_CPU} vCPU"))
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
    return problems
