"""Nested Terraform blocks written as plain dicts.

jsii turns a dict into a binding struct only where the parameter itself is a struct; items of
a *list* of blocks reach JavaScript as they are, where property names are camelCase. `blocks`
writes such a list the way jsii expects, so modules can keep Terraform's snake_case names.
"""

from __future__ import annotations


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def blocks(items: list[dict]) -> list[dict]:
    """A list of nested blocks with camelCase keys at every level (values untouched)."""
    def convert(value):
        if isinstance(value, dict):
            return {_camel(k): convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value
    return [convert(item) for item in items]
