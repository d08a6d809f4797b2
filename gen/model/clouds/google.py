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


def _cloud_run_fits(cpu, memory) -> bool:
    return cpu in CLOUD_RUN_MAX_MEMORY and CLOUD_RUN_MIN_MEMORY.get(cpu, 0) <= memory <= CLOUD_RUN_MAX_MEMORY[cpu]


def fit_service(cpu, memory, cpu_stated: bool, memory_stated: bool):
    sizes = {c: sorted({CLOUD_RUN_MIN_MEMORY.get(c, 128), 512, 1024, 2048, 4096, 8192, 16384, top})
             for c, top in CLOUD_RUN_MAX_MEMORY.items()}
    cpu2, memory2 = yield_partner(sizes, cpu, memory, cpu_stated, memory_stated, _cloud_run_fits)
    return cpu2, memory2, "Cloud Run bounds memory per vCPU; the type's default yields to the stated value"


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
    return problems
