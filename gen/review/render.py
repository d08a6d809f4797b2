"""Text, Markdown and JSON forms of a plan review (gen review) and a stack diff (gen diff).

Text is for a terminal, Markdown for a pull-request comment (a one-line verdict first,
a table of changes, details folded per resource), JSON for machines (documented in
docs/review.md; keys sorted, stable). All three print only what the report holds, and
the report never holds a sensitive value.
"""

from __future__ import annotations

import html
import json
from typing import Any

from gen.review.changes import AttributeChange, Marker, plain
from gen.review.diff import DiffReview, StackDiff
from gen.review.plan import REPORT_FORMAT_VERSION, ACTIONS, OutputChange, PlanReview, ResourceChange
from gen.review.risks import APPROVAL_CLASSES, Risk

FORMATS = ("text", "markdown", "json")

_SUMMARY_WORDS = {
    "create": "to create",
    "update": "to update",
    "replace": "to replace",
    "delete": "to delete",
    "read": "to read",
    "forget": "to forget",
    "no-op": "unchanged",
}


def render(report: PlanReview | DiffReview, fmt: str) -> str:
    if fmt == "json":
        return to_json(report)
    if fmt == "markdown":
        return review_markdown(report) if isinstance(report, PlanReview) else diff_markdown(report)
    return review_text(report) if isinstance(report, PlanReview) else diff_text(report)


# -- shared -----------------------------------------------------------------------------


def summary_line(summary: dict[str, int]) -> str:
    parts = [f"{summary[a]} {_SUMMARY_WORDS[a]}" for a in ACTIONS if a != "no-op" and summary.get(a)]
    if summary.get("no-op"):
        parts.append(f"{summary['no-op']} unchanged")
    return ", ".join(parts) if parts else "no resource changes"


def show(value: Any) -> str:
    """A value on one line as JSON, except that markers show as their bare words."""
    if isinstance(value, Marker):
        return value.text
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k), ensure_ascii=False)}: {show(value[k])}" for k in sorted(value, key=str))
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _risk_counts(resources: list[ResourceChange]) -> str:
    counts: dict[str, int] = {}
    for resource in resources:
        for kind in {risk.kind for risk in resource.risks}:
            counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{kind} {counts[kind]}" for kind in APPROVAL_CLASSES if kind in counts)


def _callouts(resource: ResourceChange) -> list[str]:
    notes = []
    if resource.moved:
        notes.append(f"moved from {resource.previous_address}")
    if resource.importing:
        notes.append("imported" + (f" from id {resource.import_id}" if resource.import_id else ""))
    if resource.deposed:
        notes.append(f"deposed object {resource.deposed}")
    return notes


# -- JSON -------------------------------------------------------------------------------


def _risk_json(risk: Risk) -> dict:
    return {"class": risk.kind, "detail": risk.detail}


def _change_json(change: AttributeChange) -> dict:
    return {
        "path": change.path,
        "before": plain(change.before),
        "after": plain(change.after),
        "forces_replacement": change.forces_replacement,
    }


def resource_json(resource: ResourceChange) -> dict:
    return {
        "address": resource.address,
        "type": resource.type,
        "mode": resource.mode,
        "action": resource.action,
        "reason": resource.reason,
        "reason_code": resource.reason_code,
        "risks": [_risk_json(r) for r in resource.risks],
        "changes": [_change_json(c) for c in resource.changes],
        "replace_paths": list(resource.replace_paths),
        "previous_address": resource.previous_address,
        "importing": resource.importing,
        "import_id": resource.import_id,
        "deposed": resource.deposed,
    }


def _output_json(output: OutputChange) -> dict:
    return {
        "name": output.name,
        "action": output.action,
        "before": plain(output.before),
        "after": plain(output.after),
        "sensitive": output.sensitive,
    }


def _approval_json(report: PlanReview | DiffReview) -> dict:
    return {"required": report.approval.required, "reasons": list(report.approval.reasons)}


def review_json(report: PlanReview) -> dict:
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "plan_format_version": report.plan_format_version,
        "terraform_version": report.terraform_version,
        "summary": dict(report.summary),
        "resources": [resource_json(r) for r in report.resources],
        "drift": [resource_json(r) for r in report.drift],
        "outputs": [_output_json(o) for o in report.outputs],
        "risks": [_risk_json(r) for r in report.risks],
        "approval": _approval_json(report),
        "errored": report.errored,
        "complete": report.complete,
        "notes": list(report.notes),
    }


def _stack_json(stack: StackDiff) -> dict:
    return {
        "name": stack.name,
        "status": stack.status,
        "resources": [resource_json(r) for r in stack.resources],
        "outputs": [_output_json(o) for o in stack.outputs],
        "settings": [_change_json(c) for c in stack.settings],
        "unchanged": stack.unchanged,
    }


def diff_json(report: DiffReview) -> dict:
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "summary": dict(report.summary),
        "stacks": [_stack_json(s) for s in report.stacks],
        "approval": _approval_json(report),
        "notes": list(report.notes),
    }


def to_json(report: PlanReview | DiffReview) -> str:
    document = review_json(report) if isinstance(report, PlanReview) else diff_json(report)
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# -- text -------------------------------------------------------------------------------


def _text_change(change: AttributeChange) -> str:
    forced = "  (forces replacement)" if change.forces_replacement else ""
    return f"{change.path}: {show(change.before)} → {show(change.after)}{forced}"


def _text_resource(resource: ResourceChange, indent: str = "  ") -> list[str]:
    head = f"{indent}{resource.action:<8} {resource.address}"
    callouts = _callouts(resource)
    if callouts:
        head += f"  ({'; '.join(callouts)})"
    lines = [head]
    inner = indent + " " * 9
    if resource.reason:
        lines.append(f"{inner}{resource.reason}")
    for risk in resource.risks:
        lines.append(f"{inner}! {risk.kind}: {risk.detail}")
    for change in resource.changes:
        lines.append(f"{inner}{_text_change(change)}")
    return lines


def _text_outputs(outputs: list[OutputChange], indent: str = "  ") -> list[str]:
    lines = []
    for output in outputs:
        if output.action == "create":
            lines.append(f"{indent}{output.action:<8} {output.name} = {show(output.after)}")
        elif output.action in ("delete", "forget"):
            lines.append(f"{indent}{output.action:<8} {output.name} (was {show(output.before)})")
        else:
            lines.append(f"{indent}{output.action:<8} {output.name}: {show(output.before)} → {show(output.after)}")
    return lines


def _text_verdict(report: PlanReview | DiffReview) -> list[str]:
    if not report.approval.required:
        return ["No approval needed."]
    return ["Approval required:"] + [f"  - {reason}" for reason in report.approval.reasons]


def review_text(report: PlanReview) -> str:
    verdict = "approval required" if report.approval.required else "no approval needed"
    lines = [f"Plan review: {verdict}"]
    if report.errored:
        lines.append("The plan ERRORED: Terraform could not finish planning; this is only part of it.")
    elif not report.complete:
        lines.append("The plan is INCOMPLETE: more changes will follow after it is applied.")
    lines.append(f"Resources: {summary_line(report.summary)}")
    moved = sum(1 for r in report.resources if r.moved)
    imported = sum(1 for r in report.resources if r.importing)
    if moved or imported:
        lines.append(f"Moved: {moved}, imported: {imported}")
    version = f"plan format {report.plan_format_version}"
    if report.terraform_version:
        version = f"Terraform {report.terraform_version}, {version}"
    lines.append(f"({version})")
    for note in report.notes:
        lines.append(f"Note: {note}")
    for risk in report.risks:
        lines.append(f"! {risk.kind}: {risk.detail}")
    if report.resources:
        lines += ["", "Changes:"]
        for resource in report.resources:
            lines += _text_resource(resource)
    if report.drift:
        lines += ["", "Drift (changed outside Terraform since the last apply):"]
        for resource in report.drift:
            lines += _text_resource(resource)
    if report.outputs:
        lines += ["", "Outputs:"] + _text_outputs(report.outputs)
    lines += [""] + _text_verdict(report)
    return "\n".join(lines) + "\n"


def diff_text(report: DiffReview) -> str:
    verdict = "approval required" if report.approval.required else "no approval needed"
    lines = [f"Stack diff: {verdict}", f"Resources: {summary_line(report.summary)}"]
    resources = [r for s in report.stacks for r in s.resources]
    moved = sum(1 for r in resources if r.moved)
    imported = sum(1 for r in resources if r.importing)
    if moved or imported:
        lines.append(f"Moved: {moved}, imported: {imported}")
    for note in report.notes:
        lines.append(f"Note: {note}")
    for stack in report.stacks:
        lines += ["", f"Stack {stack.name} ({stack.status})"]
        if stack.status == "unchanged":
            continue
        for resource in stack.resources:
            lines += _text_resource(resource)
        if stack.outputs:
            lines.append("  Outputs:")
            lines += _text_outputs(stack.outputs, "    ")
        if stack.settings:
            lines.append("  Settings:")
            lines += [f"    {_text_change(c)}" for c in stack.settings]
    lines += [""] + _text_verdict(report)
    return "\n".join(lines) + "\n"


# -- Markdown ---------------------------------------------------------------------------


def _code(text: str) -> str:
    """Inline code safe in a table cell and in HTML: <code> with entities, pipes escaped."""
    return "<code>" + html.escape(text, quote=False).replace("|", "&#124;").replace("\n", " ") + "</code>"


def _cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "&#124;").replace("\n", " ")


def _md_verdict(report: PlanReview | DiffReview, what: str) -> str:
    resources = report.resources if isinstance(report, PlanReview) else [r for s in report.stacks for r in s.resources]
    risks = _risk_counts(resources)
    if isinstance(report, PlanReview) and report.risks:
        risks = ", ".join([risks] * bool(risks) + sorted({r.kind for r in report.risks}))
    tail = f" · risks: {risks}" if risks else ""
    if report.approval.required:
        return f"**⛔ Approval required** — {what}: {summary_line(report.summary)}{tail}"
    return f"**✅ No approval needed** — {what}: {summary_line(report.summary)}{tail}"


def _md_table(rows: list[tuple[str, ResourceChange]], with_stack: bool) -> list[str]:
    header = "| Stack | Action | Resource | Risks |" if with_stack else "| Action | Resource | Risks |"
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for stack, resource in rows:
        risks = ", ".join(sorted({r.kind for r in resource.risks}, key=_risk_order)) or "—"
        callouts = _callouts(resource)
        address = _code(resource.address) + (f" ({_cell('; '.join(callouts))})" if callouts else "")
        cells = ([_cell(stack)] if with_stack else []) + [resource.action, address, risks]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _risk_order(kind: str) -> int:
    return APPROVAL_CLASSES.index(kind) if kind in APPROVAL_CLASSES else len(APPROVAL_CLASSES)


def _md_changes_table(changes: list[AttributeChange]) -> list[str]:
    lines = ["| Attribute | Before | After |", "|---|---|---|"]
    for change in changes:
        path = _code(change.path) + (" **forces replacement**" if change.forces_replacement else "")
        lines.append(f"| {path} | {_code(show(change.before))} | {_code(show(change.after))} |")
    return lines


def _md_details(resource: ResourceChange, prefix: str = "") -> list[str]:
    summary = f"{html.escape(resource.action)} <code>{html.escape(prefix + resource.address)}</code>"
    lines = ["<details>", f"<summary>{summary}</summary>", ""]
    facts = []
    if resource.reason:
        facts.append(_cell(resource.reason[:1].upper() + resource.reason[1:]) + ".")
    facts += [_cell(c[:1].upper() + c[1:]) + "." for c in _callouts(resource)]
    if facts:
        lines += [" ".join(facts), ""]
    for risk in resource.risks:
        lines.append(f"- **{risk.kind}**: {_cell(risk.detail)}")
    if resource.risks:
        lines.append("")
    if resource.changes:
        lines += _md_changes_table(resource.changes) + [""]
    elif not facts and not resource.risks:
        return []  # nothing more to say than the table's row
    lines += ["</details>", ""]
    return lines


def _md_outputs(outputs: list[OutputChange]) -> list[str]:
    lines = ["| Output | Action | Before | After |", "|---|---|---|---|"]
    for output in outputs:
        before = _code(show(output.before)) if output.action not in ("create",) else "—"
        after = _code(show(output.after)) if output.action not in ("delete", "forget") else "—"
        lines.append(f"| {_code(output.name)} | {output.action} | {before} | {after} |")
    return lines


def _md_reasons(report: PlanReview | DiffReview) -> list[str]:
    if not report.approval.required:
        return []
    return ["**Approval is required because:**", ""] + [f"- {_cell(r)}" for r in report.approval.reasons] + [""]


def review_markdown(report: PlanReview) -> str:
    lines = [_md_verdict(report, "plan"), ""]
    if report.errored:
        lines += ["> **The plan errored**: Terraform could not finish planning; this shows only part of it.", ""]
    elif not report.complete:
        lines += ["> **The plan is incomplete**: more changes will follow after it is applied.", ""]
    lines += [f"> Note: {_cell(n)}" for n in report.notes] + ([""] if report.notes else [])
    lines += _md_reasons(report)
    if report.resources:
        lines += _md_table([("", r) for r in report.resources], with_stack=False) + [""]
        for resource in report.resources:
            lines += _md_details(resource)
    else:
        lines += ["No resource changes.", ""]
    if report.drift:
        lines += ["#### Drift", ""] + [f"**{risk.kind}**: {_cell(risk.detail)}" for risk in report.risks] + [""]
        for resource in report.drift:
            lines += _md_details(resource)
    if report.outputs:
        lines += ["#### Outputs", ""] + _md_outputs(report.outputs) + [""]
    version = f"plan format {report.plan_format_version}"
    if report.terraform_version:
        version = f"Terraform {report.terraform_version}, {version}"
    lines.append(f"<sub>gen review · {_cell(version)}</sub>")
    return "\n".join(lines) + "\n"


def diff_markdown(report: DiffReview) -> str:
    lines = [_md_verdict(report, "stacks"), ""]
    lines += [f"> Note: {_cell(n)}" for n in report.notes] + ([""] if report.notes else [])
    lines += _md_reasons(report)
    rows = [(s.name, r) for s in report.stacks for r in s.resources]
    if rows:
        lines += _md_table(rows, with_stack=True) + [""]
    stack_rows = ["| Stack | Status | Changed | Unchanged |", "|---|---|---|---|"]
    for stack in report.stacks:
        stack_rows.append(f"| {_code(stack.name)} | {stack.status} | {len(stack.resources)} | {stack.unchanged} |")
    lines += stack_rows + [""]
    for stack in report.stacks:
        for resource in stack.resources:
            lines += _md_details(resource, prefix=f"{stack.name}: ")
        if stack.outputs:
            lines += [f"#### Outputs of {_cell(stack.name)}", ""] + _md_outputs(stack.outputs) + [""]
        if stack.settings:
            lines += [f"#### Settings of {_cell(stack.name)}", ""] + _md_changes_table(stack.settings) + [""]
    lines.append("<sub>gen diff · from synthesized stacks; `terraform plan` has the final word</sub>")
    return "\n".join(lines) + "\n"
