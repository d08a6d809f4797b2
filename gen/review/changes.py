"""Attribute-level changes between two JSON values, as a reviewer reads them.

Values come from a Terraform plan (`before`/`after` with `*_sensitive` and
`after_unknown` masks that mirror the value's shape) or from two synthesized stacks.
Sensitive values are replaced by SENSITIVE before anything leaves this module, and values
only known after apply by UNKNOWN, so no caller can print a secret by accident.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Iterator

from gen.review.risk_tables import (
    KEY_ATTRIBUTE_PATTERNS,
    KEY_ATTRIBUTES,
    SENSITIVE_NAME_PATTERNS,
    SENSITIVE_NAMES,
)

Path = tuple[Any, ...]  # str keys and int indexes, as in Terraform's replace_paths


class Marker:
    """A value that is not shown: sensitive, or not known until apply."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


SENSITIVE = Marker("(sensitive)")
UNKNOWN = Marker("(known after apply)")


@dataclass
class AttributeChange:
    """One attribute path whose value changes; values are safe to print."""

    path: str
    before: Any
    after: Any
    forces_replacement: bool = False
    steps: Path = field(default=(), repr=False, compare=False)  # the path, unformatted


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def format_path(path: Path) -> str:
    """`settings[0].ip_configuration[0].ipv4_enabled`, `tags["cost-center"]`."""
    text = ""
    for step in path:
        if isinstance(step, int) and not isinstance(step, bool):
            text += f"[{step}]"
        elif isinstance(step, str) and _IDENTIFIER.match(step):
            text += f".{step}" if text else step
        else:
            text += f"[{json.dumps(str(step))}]"
    return text


def any_true(mask: Any) -> bool:
    """Whether a sensitivity or unknown mask marks anything at all."""
    if isinstance(mask, dict):
        return any(any_true(m) for m in mask.values())
    if isinstance(mask, list):
        return any(any_true(m) for m in mask)
    return marks_all(mask)


def marks_all(mask: Any) -> bool:
    # `true` marks the whole value. Anything that is not a boolean, null or a structure
    # is malformed: treat it as marking everything, so a bad mask hides rather than leaks.
    if isinstance(mask, bool):
        return mask
    return mask is not None and not isinstance(mask, (dict, list))


def sub_mask(mask: Any, step: Any) -> Any:
    """The part of a mask that covers one key or index of the value. A mask that marks
    something but is shaped for another kind of value (an object's mask on a list) marks
    every part: a mask that does not fit hides rather than leaks."""
    if marks_all(mask):
        return True
    if isinstance(mask, dict):
        return mask.get(step) if isinstance(step, str) else any_true(mask)
    if isinstance(mask, list):
        if isinstance(step, int) and not isinstance(step, bool):
            return mask[step] if 0 <= step < len(mask) else None
        return any_true(mask)
    return None


def fits(mask: Any, value: Any) -> bool:
    """Whether a mask has the shape of the value: an object's for an object, a list's
    for a list (or the value is absent). `true`, `false` and null fit anything."""
    if isinstance(mask, dict):
        return value is None or isinstance(value, dict)
    if isinstance(mask, list):  # and, if it marks something, an entry for every element
        return value is None or (isinstance(value, list) and (len(value) <= len(mask) or not any_true(mask)))
    return True


def union_mask(a: Any, b: Any) -> Any:
    """A mask marking whatever either mask marks."""
    if marks_all(a) or marks_all(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: union_mask(a.get(k), b.get(k)) for k in set(a) | set(b)}
    if isinstance(a, list) and isinstance(b, list):
        n = max(len(a), len(b))
        return [union_mask(a[i] if i < len(a) else None, b[i] if i < len(b) else None) for i in range(n)]
    if not any_true(b):
        return a
    if not any_true(a):
        return b
    return True  # two masks of different shapes that both mark something: hide it all


def redact(value: Any, mask: Any) -> Any:
    """The value with every part the mask marks replaced by SENSITIVE."""
    if marks_all(mask):
        return SENSITIVE
    if not any_true(mask):
        return value
    if not fits(mask, value):
        return SENSITIVE  # the mask does not fit the value: hide it all
    if isinstance(mask, dict) and isinstance(value, dict):
        return {k: redact(v, mask.get(k)) for k, v in value.items()}
    if isinstance(mask, list) and isinstance(value, list):
        return [redact(v, mask[i] if i < len(mask) else None) for i, v in enumerate(value)]
    if value is None:
        return None
    return SENSITIVE  # the mask does not fit the value: hide it all


def mark_unknown(value: Any, unknown: Any) -> Any:
    """The value with every part `after_unknown` marks replaced by UNKNOWN."""
    if marks_all(unknown):
        return UNKNOWN
    if isinstance(unknown, dict) and any_true(unknown):
        if value is None:
            value = {}
        if isinstance(value, dict):
            result = dict(value)
            for key, u in unknown.items():
                if any_true(u):
                    result[key] = mark_unknown(value.get(key), u)
            return result
    if isinstance(unknown, list) and any_true(unknown) and isinstance(value, list):
        return [mark_unknown(v, unknown[i] if i < len(unknown) else None) for i, v in enumerate(value)]
    return value


def sensitive_names_mask(value: Any) -> Any:
    """A sensitivity mask for configuration without a schema: by attribute name."""
    if isinstance(value, dict):
        mask = {}
        for key, v in value.items():
            if isinstance(key, str) and is_sensitive_name(key):
                mask[key] = True
            else:
                inner = sensitive_names_mask(v)
                if any_true(inner):
                    mask[key] = inner
        return mask
    if isinstance(value, list):
        return [sensitive_names_mask(v) for v in value]
    return False


def is_sensitive_name(name: str) -> bool:
    name = name.lower()
    return name in SENSITIVE_NAMES or any(fnmatchcase(name, p) for p in SENSITIVE_NAME_PATTERNS)


def _parse_json_document(value: Any) -> Any:
    """A string holding a JSON object or array (a policy document), parsed; else None."""
    if not isinstance(value, str) or not value.lstrip().startswith(("{", "[")):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, (dict, list)) else None


def _has_structure(items: list) -> bool:
    return any(isinstance(x, (dict, list)) for x in items)


def changed_paths(before: Any, after: Any, mask: Any, path: Path = ()) -> Iterator[tuple[Path, Any, Any]]:
    """Each (path, before, after) that differs, leaves first, in sorted path order.

    Objects are compared key by key; lists of objects element by element; lists of
    plain values as a whole; strings holding JSON documents (policies) by their content.
    Returned values are raw: redact them with the mask at their path before showing.
    """
    if marks_all(mask) or (any_true(mask) and not (fits(mask, before) and fits(mask, after))):
        if before != after:  # marked, or a mask that does not fit: hidden whole
            yield path, before, after
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            yield from changed_paths(before.get(key), after.get(key), sub_mask(mask, key), path + (key,))
        return
    if isinstance(before, list) and isinstance(after, list) and _has_structure(before + after):
        for i in range(max(len(before), len(after))):
            b = before[i] if i < len(before) else None
            a = after[i] if i < len(after) else None
            yield from changed_paths(b, a, sub_mask(mask, i), path + (i,))
        return
    if before == after:
        return
    before_doc, after_doc = _parse_json_document(before), _parse_json_document(after)
    if before_doc is not None and after_doc is not None and not any_true(mask):
        found = list(changed_paths(before_doc, after_doc, None, path))
        if found:
            yield from found
            return
    yield path, before, after


def _mask_at(mask: Any, path: Path) -> Any:
    for step in path:
        mask = sub_mask(mask, step)
    return mask


def attribute_changes(
    before: Any,
    after: Any,
    mask: Any = None,
    replace_paths: list[Path] | None = None,
) -> list[AttributeChange]:
    """The changes from before to after, safe to print, with what forces replacement.

    `mask` marks sensitive parts (of either side); `after` may hold UNKNOWN already.
    """
    replace_paths = replace_paths or []
    result = []
    for path, b, a in changed_paths(before, after, mask):
        m = _mask_at(mask, path)
        forces = any(related_paths(path, r) for r in replace_paths)
        result.append(AttributeChange(format_path(path), redact(b, m), redact(a, m), forces, path))
    return result


def related_paths(path: Path, other: Path) -> bool:
    """Whether one path lies within the other (or they are the same)."""
    n = min(len(path), len(other))
    return tuple(path[:n]) == tuple(other[:n])


def key_attributes(resource_type: str, after: Any) -> list[AttributeChange]:
    """For a new access-control resource (a firewall, rule, IAM binding or policy), its
    key attributes as changes from null: what a reviewer must see even when no risk is
    flagged. `after` is redacted already; policies held as JSON strings are parsed."""
    names = key_attribute_names(resource_type)
    if not names or not isinstance(after, dict):
        return []
    result = []
    for name in names:
        value = after.get(name)
        if value is None or value == [] or value == {} or value == "":
            continue  # not set
        document = _parse_json_document(value)
        result.append(AttributeChange(name, None, _set_parts(value if document is None else document), False, (name,)))
    return result


def _set_parts(value: Any) -> Any:
    """The value without its unset parts (null, "", [] and {} in objects): a new rule
    block lists every optional field, and only those set say what the rule allows."""
    if isinstance(value, dict):
        return {k: _set_parts(v) for k, v in value.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_set_parts(v) for v in value]
    return value


def key_attribute_names(resource_type: str) -> tuple[str, ...]:
    if resource_type in KEY_ATTRIBUTES:
        return KEY_ATTRIBUTES[resource_type]
    for pattern, names in KEY_ATTRIBUTE_PATTERNS:
        if fnmatchcase(resource_type, pattern):
            return names
    return ()


def plain(value: Any) -> Any:
    """The value as plain JSON: markers become their text."""
    if isinstance(value, Marker):
        return value.text
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
