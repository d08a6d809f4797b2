"""AWS: ECS on Fargate, ALB, RDS, S3, SNS/SQS, EventBridge Scheduler, ElastiCache, Secrets Manager."""


def protect(env) -> dict | None:
    """`lifecycle.prevent_destroy` for a stateful resource, where the environment type asks for it."""
    return {"prevent_destroy": True} if env.prevent_destroy else None


def blocks(items: list[dict]) -> list[dict]:
    """Lists of nested blocks as the bindings take them: jsii converts a struct given as a dict
    only at the top level, so the dicts inside a list need the JavaScript (camelCase) keys."""
    def camel(value):
        if isinstance(value, dict):
            return {_camel(k): camel(v) for k, v in value.items()}
        if isinstance(value, list):
            return [camel(v) for v in value]
        return value
    return [camel(item) for item in items]


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)
