"""One package per target: `aws`, `google`, and `docker` for local environments. Each has `stack`
(the CDKTF stack builder) and one module per resource kind, with the same module names in every
target (network, compute, load_balancing, domain, iam, databases, buckets, topics, cron, caches,
secrets, outputs; `docker` has those that exist on a developer's machine, plus `emulators` and
`images`).

May import: cdktf, the provider bindings, and `gen.model` (the resolved environment, names,
wiring). Never `gen.synth`, `gen.review` or `gen.cli`. What a cloud cannot express is
validation, so it lives in `gen.model.clouds`, where `gen validate` finds it without cdktf.
This module holds the little both targets share: `protect`, `public_urls` and `blocks`.
"""

from __future__ import annotations

from gen.model.names import terraform_name


def protect(env) -> dict | None:
    """`lifecycle.prevent_destroy` for a stateful resource, where the environment type asks for it."""
    return {"prevent_destroy": True} if env.prevent_destroy else None


def public_urls(env, base: str) -> dict[str, tuple[str, str]]:
    """Output name -> (URL, description) of the environment and each public service, given the
    public load balancer's base URL: one rule for every cloud (the service at `/` is the base)."""
    urls = {"url": (base, "the environment's public URL")}
    for service in env.services.values():
        if service.ingress == "public":
            path = "" if service.path == "/" else service.path
            urls[terraform_name("service", service.name, "url")] = (f"{base}{path}", f"public URL of service {service.name}")
    return urls


def blocks(items: list[dict]) -> list[dict]:
    """A list of nested Terraform blocks, written as plain dicts with Terraform's snake_case keys,
    in the form the bindings take it.

    jsii turns a dict into a binding struct only where the parameter itself is a struct; the
    items of a *list* of blocks reach JavaScript as they are, where property names are
    camelCase. So every key, at every level, is converted (values are left alone).
    """
    def convert(value):
        if isinstance(value, dict):
            return {_camel(k): convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value
    return [convert(item) for item in items]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)

