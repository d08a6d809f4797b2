"""What a Google Cloud environment cannot express, as validation problems (no cdktf here)."""

from __future__ import annotations

PUBSUB_MIN_DELIVERY_ATTEMPTS = 5  # Pub/Sub dead-letter policies allow 5 to 100


def check(env) -> list[tuple[str, str]]:
    problems = []
    for topic in env.app.topics.values():
        for sub in topic.subscriptions.values():
            if sub.max_retries < PUBSUB_MIN_DELIVERY_ATTEMPTS:
                problems.append((f"/topics/{topic.name}/subscriptions/{sub.name}/max_retries",
                                 f"in gcp environment {env.spec_name!r}: Pub/Sub dead-letter policies need at least "
                                 f"{PUBSUB_MIN_DELIVERY_ATTEMPTS} delivery attempts, not {sub.max_retries}"))
    for cache in env.caches.values():
        if cache.memory_mb % 1024:
            pointer = (f"{env.pointer}/overrides/caches/{cache.name}/memory_mb"
                       if cache.name in env.app.environments[env.spec_name].overrides["caches"]
                       else f"/caches/{cache.name}/memory_mb")
            problems.append((pointer, f"in gcp environment {env.spec_name!r}: Memorystore sizes are whole GB, "
                             f"so memory_mb must be a multiple of 1024, not {cache.memory_mb}"))
    return problems
