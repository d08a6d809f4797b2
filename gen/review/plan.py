"""`gen review`: read a Terraform plan's JSON form and say what it changes and what it risks.

The input is `terraform show -json PLANFILE`, plan format 0.1 to 1.2. The result is a
PlanReview: counts per action, each changed resource with its changed attribute paths and
risks, drift, output changes, and whether a person must approve it (and why). Sensitive
values are hidden while the plan is read, so nothing downstream can print them.
See docs/review.md for the user's view and the JSON format.
"""

from __future__ import annotations

import codecs
import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from gen.review.changes import (
    SENSITIVE,
    AttributeChange,
    attribute_changes,
    format_path,
    key_attributes,
    mark_unknown,
    marks_all,
    redact,
    related_paths,
    union_mask,
)
from gen.model.errors import InputError
from gen.review.risks import APPROVAL_CLASSES, DRIFT, Risk, assess

REPORT_FORMAT_VERSION = "1.1"

EXIT_OK = 0
EXIT_APPROVAL_REQUIRED = 3

# Every action a report counts, in the order reports show them.
ACTIONS = ("create", "update", "replace", "delete", "read", "no-op", "forget")

# Terraform's `actions` lists and what a reviewer calls them. Replacement comes in both
# orders (create_before_destroy or not), and as create-then-forget (`destroy = false`:
# the old object is left alone, not destroyed).
_ACTION_LISTS = {
    ("create",): "create",
    ("update",): "update",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
    ("create", "forget"): "replace",
    ("delete",): "delete",
    ("read",): "read",
    ("no-op",): "no-op",
    ("forget",): "forget",
}

# Plan format versions this code was written against, by major version: newest minor.
KNOWN_FORMATS = {0: 2, 1: 2}

REASONS = {
    "replace_because_tainted": "replaced because it is tainted (a previous apply failed part way)",
    "replace_because_cannot_update": "replaced because some changed attributes cannot be updated in place",
    "replace_by_request": "replaced because it was asked for (-replace)",
    "replace_by_triggers": "replaced because something in its replace_triggered_by changed",
    "delete_because_no_resource_config": "deleted because its configuration was removed",
    "delete_because_no_module": "deleted because its module is no longer in the configuration",
    "delete_because_wrong_repetition": "deleted because count or for_each no longer matches how this instance is keyed",
    "delete_because_count_index": "deleted because count no longer includes this index",
    "delete_because_each_key": "deleted because for_each no longer includes this key",
    "delete_because_no_move_target": "deleted because the target of its moved block is not in the configuration",
    "delete_because_enabled_false": "deleted because it is no longer enabled in the configuration",
    "read_because_config_unknown": "read during apply because its configuration depends on values not known yet",
    "read_because_dependency_pending": "read during apply because something it depends on has changes pending",
    "read_because_check_nested": "read during apply again, to verify a check block",
    "forget_because_lifecycle_destroy_in_state": "removed from state but not destroyed (destroy = false)",
    "forget_because_lifecycle_destroy_in_config": "removed from state but not destroyed (destroy = false)",
}


def reason_in_words(code: Any, action: str | None = None) -> str | None:
    """`action_reason` in words. A `forget` is said as what it is, whatever the code:
    Terraform gives it the delete_because_* codes of the delete it stands in for."""
    words = REASONS.get(code, code.replace("_", " ")) if code and isinstance(code, str) else None
    if action != "forget" or (words and "not destroyed" in words):
        return words
    cause = ""
    if words and words.startswith("deleted because "):
        cause = " because " + words[len("deleted because "):]
    return f"removed from Terraform's state{cause}; the object itself is kept, not destroyed"


@dataclass
class ResourceChange:
    """One resource (or data source) that a plan or a diff changes, as a reviewer sees it."""

    address: str
    type: str
    action: str
    reason: str | None = None
    reason_code: str | None = None
    risks: list[Risk] = field(default_factory=list)
    changes: list[AttributeChange] = field(default_factory=list)
    replace_paths: list[str] = field(default_factory=list)
    previous_address: str | None = None
    importing: bool = False
    import_id: str | None = None
    deposed: str | None = None
    mode: str = "managed"

    @property
    def moved(self) -> bool:
        return bool(self.previous_address) and self.previous_address != self.address

    @property
    def changes_anything(self) -> bool:
        """Whether applying it changes infrastructure or state (a read does not)."""
        return self.action not in ("no-op", "read") or self.moved or self.importing


@dataclass
class OutputChange:
    name: str
    action: str
    before: Any
    after: Any
    sensitive: bool = False


@dataclass
class Approval:
    required: bool
    reasons: list[str]


@dataclass
class PlanReview:
    summary: dict[str, int]
    resources: list[ResourceChange]
    drift: list[ResourceChange]
    outputs: list[OutputChange]
    approval: Approval
    errored: bool = False
    complete: bool = True
    risks: list[Risk] = field(default_factory=list)
    plan_format_version: str = ""
    terraform_version: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        return EXIT_APPROVAL_REQUIRED if self.approval.required else EXIT_OK


# -- reading ----------------------------------------------------------------------------

_NOT_A_PLAN = "not a Terraform plan (expected the output of `terraform show -json PLANFILE`)"


def read_plan(path: str) -> dict:
    """The plan's JSON object, checked to be a plan; InputError naming the file if not."""
    try:
        if path == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as f:
                raw = f.read()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a plan file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    text = decode(raw, path)
    if not text.strip():
        raise InputError(f"{path}: empty file, {_NOT_A_PLAN}")
    try:
        plan = json.loads(text)
    except json.JSONDecodeError as e:
        if re.match(r"\s*(\[[A-Za-z]|[^\s\[{])", text):  # "[command]...", "Terraform used..."
            raise InputError(
                f"{path}:{e.lineno}:{e.colno}: not JSON: the file starts with text (a log line, such as "
                "setup-terraform's wrapper writes); save only what `terraform show -json PLANFILE` prints"
            ) from None
        if e.msg == "Extra data":
            raise InputError(
                f"{path}:{e.lineno}:{e.colno}: more than one JSON document (several plans in one file?); "
                "give one plan per file"
            ) from None
        raise InputError(f"{path}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from None
    check_plan(plan, path)
    return plan


# Byte-order marks and the encodings they announce, longest first (UTF-32's marks begin
# with UTF-16's). PowerShell's `>` writes UTF-16 LE with a mark.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode(raw: bytes, path: str) -> str:
    """The text of a plan file: UTF-8, or UTF-8/16/32 announced by a byte-order mark, or
    UTF-16 without one (JSON's first character is ASCII, so a zero byte beside it tells)."""
    encoding, start = "utf-8", 0
    for bom, name in _BOMS:
        if raw.startswith(bom):
            encoding, start = name, len(bom)
            break
    else:
        if len(raw) >= 2 and raw[0] and not raw[1]:
            encoding = "utf-16-le"
        elif len(raw) >= 2 and not raw[0] and raw[1]:
            encoding = "utf-16-be"
    try:
        return raw[start:].decode(encoding)
    except UnicodeDecodeError:
        if encoding == "utf-8":
            raise InputError(
                f"{path}: not JSON; is it a binary plan file? Convert it with `terraform show -json PLANFILE`"
            ) from None
        raise InputError(f"{path}: not valid {encoding.upper()} text, though it starts like it") from None


def check_plan(plan: Any, path: str) -> None:
    """InputError unless this is the JSON form of a plan, with the parts reviews read well-formed."""
    if not isinstance(plan, dict) or "format_version" not in plan:
        raise InputError(f"{path}: {_NOT_A_PLAN}")
    if not any(key in plan for key in ("resource_changes", "planned_values", "errored")):
        if "values" in plan:
            raise InputError(f"{path}: a Terraform state, {_NOT_A_PLAN}")
        raise InputError(f"{path}: {_NOT_A_PLAN}")
    if not isinstance(plan["format_version"], str) or not re.fullmatch(r"\d+\.\d+", plan["format_version"]):
        raise InputError(f"{path}: unrecognized plan format_version {plan['format_version']!r}")
    for key in ("resource_changes", "resource_drift"):
        entries = plan.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise InputError(f"{path}: malformed plan: {key} is not a list")
        for i, entry in enumerate(entries):
            _check_resource_change(entry, f"{path}: malformed plan: {key}[{i}]", drift=key == "resource_drift")
    outputs = plan.get("output_changes")
    if outputs is not None:
        if not isinstance(outputs, dict):
            raise InputError(f"{path}: malformed plan: output_changes is not an object")
        for name, change in outputs.items():
            _check_change(change, f"{path}: malformed plan: output_changes.{name}")
    if "errored" in plan and not isinstance(plan["errored"], bool):
        raise InputError(f"{path}: malformed plan: errored is not true or false")


def derived_address(entry: dict) -> str | None:
    """The address of an entry that lacks one, from its module_address, mode, type, name
    and index (as Terraform 0.15 to 1.0 wrote resource_drift); None if they do not say."""
    resource_type, name = entry.get("type"), entry.get("name")
    if not isinstance(resource_type, str) or not isinstance(name, str) or not resource_type or not name:
        return None
    address = f"{resource_type}.{name}"
    if entry.get("mode") == "data":
        address = "data." + address
    module = entry.get("module_address")
    if isinstance(module, str) and module:
        address = f"{module}.{address}"
    index = entry.get("index")
    if isinstance(index, int) and not isinstance(index, bool):
        address += f"[{index}]"
    elif isinstance(index, str):
        address += f"[{json.dumps(index)}]"
    return address


def address_of(entry: dict, drift: bool = False) -> str | None:
    """An entry's address; for drift, derived when Terraform 0.15 to 1.0 left it out."""
    address = entry.get("address")
    if isinstance(address, str) and address:
        return address
    return derived_address(entry) if drift and address is None else None


def _check_resource_change(entry: Any, where: str, drift: bool = False) -> None:
    if not isinstance(entry, dict):
        raise InputError(f"{where} is not an object")
    address = address_of(entry, drift)
    if address is None:
        raise InputError(f"{where} has no address")
    for key in ("type", "previous_address", "action_reason", "deposed"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            raise InputError(f"{where} ({address}): {key} is not a string")
    _check_change(entry.get("change"), f"{where} ({address})")
    replace_paths = entry["change"].get("replace_paths")
    if replace_paths is not None and not (
        isinstance(replace_paths, list) and all(isinstance(p, list) for p in replace_paths)
    ):
        raise InputError(f"{where} ({address}): replace_paths is not a list of paths")


def _check_change(change: Any, where: str) -> None:
    if not isinstance(change, dict):
        raise InputError(f"{where}: change is not an object")
    actions = change.get("actions")
    if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
        raise InputError(f"{where}: change.actions is not a list of actions")
    if tuple(actions) not in _ACTION_LISTS:
        raise InputError(f"{where}: unrecognized actions {json.dumps(actions)}")


def action_of(actions: list[str]) -> str:
    return _ACTION_LISTS[tuple(actions)]


def _format_note(version: str) -> str | None:
    major, minor = (int(part) for part in version.split("."))
    if major not in KNOWN_FORMATS or minor > KNOWN_FORMATS[major]:
        newest = max(KNOWN_FORMATS)
        return (
            f"plan format {version} is newer than this gen knows "
            f"({newest}.{KNOWN_FORMATS[newest]}); reviewed as that: check what it reports"
        )
    return None


# -- reviewing --------------------------------------------------------------------------


def review_plan(plan: dict, environment: Any = None) -> PlanReview:
    """The review of a checked plan (see check_plan); `environment` has .name and .approval."""
    summary = {action: 0 for action in ACTIONS}
    resources = []
    for entry in plan.get("resource_changes") or []:
        change = resource_change(entry)
        summary[change.action] += 1
        if change.changes_anything or change.action == "read":
            resources.append(change)
    resources.sort(key=lambda r: (r.address, r.deposed or ""))

    drift, unrelated = drift_changes(plan, changes_planned=any(r.changes_anything for r in resources))
    plan_risks = []
    if drift:
        noun = "resource has" if len(drift) == 1 else "resources have"
        plan_risks.append(Risk(DRIFT, f"{len(drift)} {noun} changed outside Terraform since the last apply"))

    outputs = output_changes(plan)
    errored = plan.get("errored") is True
    complete = plan.get("complete") is not False and not errored
    notes = [n for n in [_format_note(plan["format_version"])] if n]
    if unrelated:
        noun = "resource" if unrelated == 1 else "resources"
        notes.append(
            f"{unrelated} {noun} changed outside Terraform only in attributes this plan does not "
            "depend on (its relevant_attributes); not listed, as Terraform does not show them either"
        )

    deferred = plan.get("deferred_changes") or []
    plan_reasons = []
    if errored:
        plan_reasons.append("the plan errored: Terraform could not finish planning, so it shows only part of the changes")
    elif not complete:
        count = len(deferred) if isinstance(deferred, list) else 0
        what = f" ({count} {'change' if count == 1 else 'changes'} deferred)" if count else ""
        plan_reasons.append(f"the plan is incomplete{what}: more changes will follow after this one is applied")

    changes_anything = any(r.changes_anything for r in resources) or bool(outputs)
    approval = decide_approval(
        [("", r) for r in resources],
        environment=environment,
        changes_anything=changes_anything,
        plan_reasons=plan_reasons,
    )
    return PlanReview(
        summary=summary,
        resources=resources,
        drift=drift,
        outputs=outputs,
        approval=approval,
        errored=errored,
        complete=complete,
        risks=plan_risks,
        plan_format_version=plan["format_version"],
        terraform_version=plan.get("terraform_version") if isinstance(plan.get("terraform_version"), str) else None,
        notes=notes,
    )


def drift_changes(plan: dict, changes_planned: bool) -> tuple[list[ResourceChange], int]:
    """The drift worth a reviewer's look, sorted, and how many drifted resources are left out.

    Left out: entries that did not change (Terraform 1.0 listed every resource), changes
    that are only Terraform's normalisation (null to {} or []), and, when the plan names
    its `relevant_attributes` and plans changes, drift in attributes no planned change
    depends on (Terraform's own rendering hides those too). Deletions are always kept.
    """
    relevant: dict[str, list[tuple]] = {}
    listed = isinstance(plan.get("relevant_attributes"), list) and changes_planned
    for item in plan.get("relevant_attributes") or [] if listed else []:
        if isinstance(item, dict) and isinstance(item.get("attribute"), list):
            relevant.setdefault(str(item.get("resource") or ""), []).append(tuple(item["attribute"]))
    drift, unrelated = [], 0
    for entry in plan.get("resource_drift") or []:
        change = resource_change(entry, drift=True)
        change.changes = [c for c in change.changes if not (_blank(c.before) and _blank(c.after))]
        if change.action in ("no-op", "read") or (change.action == "update" and not change.changes):
            continue
        if listed and change.action != "delete":
            paths = relevant.get(change.address, []) + relevant.get("", [])
            kept = [c for c in change.changes if any(related_paths(c.steps, p) for p in paths)]
            if not kept:
                unrelated += 1
                continue
            change.changes = kept
        drift.append(change)
    drift.sort(key=lambda r: (r.address, r.deposed or ""))
    return drift, unrelated


def _blank(value: Any) -> bool:
    """null, {} or [], or structures of only those: what Terraform's normalisation makes."""
    if value is None:
        return True
    if isinstance(value, dict):
        return all(_blank(v) for v in value.values())
    if isinstance(value, list):
        return all(_blank(v) for v in value)
    return False


def resource_change(entry: dict, drift: bool = False) -> ResourceChange:
    """One entry of resource_changes (or resource_drift), redacted, with its risks."""
    change = entry["change"]
    actions = change["actions"]
    action = action_of(actions)
    mode = entry.get("mode") if entry.get("mode") in ("managed", "data") else "managed"
    resource_type = entry.get("type") or _type_from_address(address_of(entry, drift) or "")

    mask = union_mask(change.get("before_sensitive"), change.get("after_sensitive"))
    before = change.get("before")
    after = mark_unknown(change.get("after"), change.get("after_unknown"))
    replace_steps = [tuple(p) for p in change.get("replace_paths") or []]
    changes = []
    if action in ("update", "replace") or (drift and action != "delete"):
        changes = attribute_changes(before, after, mask, replace_steps)
    elif action == "create" and not drift:
        changes = key_attributes(resource_type, redact(after, mask))

    risks = []
    if not drift:
        risks = assess(
            resource_type,
            action,
            redact(before, mask) if action != "create" else None,
            redact(after, mask) if action != "delete" else None,
            changes,
            mode=mode,
            destroys="delete" in actions,
        )

    importing = change.get("importing")
    import_id = importing.get("id") if isinstance(importing, dict) and isinstance(importing.get("id"), str) else None
    return ResourceChange(
        address=address_of(entry, drift) or "",
        type=resource_type,
        action=action,
        reason=reason_in_words(entry.get("action_reason"), action),
        reason_code=entry.get("action_reason") or None,
        risks=risks,
        changes=changes,
        replace_paths=[format_path(p) for p in replace_steps],
        previous_address=entry.get("previous_address") or None,
        importing=isinstance(importing, dict),
        import_id=import_id,
        deposed=entry.get("deposed") or None,
        mode=mode,
    )


def _type_from_address(address: str) -> str:
    parts = [p for p in re.sub(r"\[[^\]]*\]", "", address).split(".") if p]
    while len(parts) >= 2 and parts[0] == "module":
        parts = parts[2:]
    if parts and parts[0] == "data":
        parts = parts[1:]
    return parts[0] if parts else address


def output_changes(plan: dict) -> list[OutputChange]:
    """Outputs the plan changes, sorted by name; sensitive ones show no value."""
    result = []
    for name in sorted(plan.get("output_changes") or {}):
        change = plan["output_changes"][name]
        action = action_of(change["actions"])
        if action == "no-op":
            continue
        mask = union_mask(change.get("before_sensitive"), change.get("after_sensitive"))
        sensitive = marks_all(mask) or _output_declared_sensitive(plan, name)
        before = change.get("before")
        after = mark_unknown(change.get("after"), change.get("after_unknown"))
        if sensitive:
            before = SENSITIVE if action not in ("create",) else None
            after = SENSITIVE if action not in ("delete", "forget") else None
        else:
            before, after = redact(before, mask), redact(after, mask)
        result.append(OutputChange(name, action, before, after, sensitive))
    return result


def _output_declared_sensitive(plan: dict, name: str) -> bool:
    """Whether any part of the plan declares the output sensitive."""
    places = [
        (plan.get("planned_values") or {}).get("outputs"),
        ((plan.get("prior_state") or {}).get("values") or {}).get("outputs"),
        ((plan.get("configuration") or {}).get("root_module") or {}).get("outputs"),
    ]
    for outputs in places:
        if isinstance(outputs, dict) and isinstance(outputs.get(name), dict):
            if outputs[name].get("sensitive") is True:
                return True
    return False


# -- approval ---------------------------------------------------------------------------


def decide_approval(
    resources: list[tuple[str, ResourceChange]],
    *,
    environment: Any = None,
    changes_anything: bool,
    plan_reasons: list[str] | None = None,
) -> Approval:
    """Approval is needed for any data-loss, exposure or security risk; for what the plan
    itself says (errored, incomplete); and for any change at all to an environment whose
    approval is manual. `resources` pairs each change with a prefix (its stack, in diffs).
    """
    reasons = []
    for kind in APPROVAL_CLASSES:
        for prefix, resource in resources:
            for risk in resource.risks:
                if risk.kind == kind:
                    reasons.append(f"{kind}: {prefix}{resource.address} {risk.detail}")
    reasons.extend(plan_reasons or [])
    if environment is not None and changes_anything and getattr(environment, "approval", None) != "auto":
        reasons.append(f"environment {environment.name} requires manual approval of every change")
    return Approval(required=bool(reasons), reasons=reasons)


def load_environment(app_path: str | None, env_name: str | None) -> Any:
    """The environment whose approval setting applies, or None without --app/--env."""
    if app_path is None and env_name is None:
        return None
    if app_path is None or env_name is None:
        raise InputError("--app and --env go together: give both, or neither")
    from gen.model.validate import load_environment as load

    return load(app_path, env_name)


def review_file(path: str, app_path: str | None = None, env_name: str | None = None) -> PlanReview:
    plan = read_plan(path)
    return review_plan(plan, load_environment(app_path, env_name))
