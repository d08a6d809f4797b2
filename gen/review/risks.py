"""The review risks of one resource change: data-loss, security, exposure.

The same rules serve `gen review` (a Terraform plan) and `gen diff` (two synthesized
stacks); the tables they read are in gen/review/risk_tables.py. Values passed in here are
already redacted (see gen/review/changes.py), so no risk detail can quote a secret, and
hold UNKNOWN where a value is known only after apply.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from gen.review.changes import AttributeChange, Marker
from gen.review.risk_tables import (
    AZURE_WORLD_SOURCES,
    DATA_WORDS,
    FREE_FORM_MAPS,
    INGRESS_SOURCES,
    PUBLIC_ACLS,
    PUBLIC_GRANTEES,
    PUBLIC_MEMBERS,
    PUBLIC_SWITCHES,
    SECURITY_ATTRIBUTES,
    SECURITY_TYPE_PATTERNS,
    SECURITY_TYPES,
    SETTING_WORDS,
    STATEFUL_TYPES,
    WORLD_CIDRS,
)

DATA_LOSS = "data-loss"
SECURITY = "security"
EXPOSURE = "exposure"
DRIFT = "drift"

# Risk classes that make a change need a person's approval, in the order reports list them.
APPROVAL_CLASSES = (DATA_LOSS, EXPOSURE, SECURITY)

# Actions that change infrastructure (and so can carry risk).
CHANGING_ACTIONS = ("create", "update", "replace", "delete")


@dataclass(frozen=True)
class Risk:
    """One reason a change deserves a careful look: its class and, in words, why."""

    kind: str
    detail: str


def _article(noun: str) -> str:
    """The article before `noun`: "the" before settings (a plural), else a or an."""
    if noun.endswith("settings"):
        return "the"
    return "an" if noun[:1].lower() in "aeiou" or noun.startswith("IAM") else "a"


def _type_words(resource_type: str) -> str:
    """`aws_iam_role_policy` -> `IAM role policy`."""
    words = resource_type.split("_")[1:] or [resource_type]
    return " ".join("IAM" if w == "iam" else w for w in words)


def security_kind(resource_type: str) -> str | None:
    """What a security-relevant type is, in words; None when it is not one."""
    if resource_type in SECURITY_TYPES:
        return SECURITY_TYPES[resource_type]
    if any(fnmatchcase(resource_type, p) for p in SECURITY_TYPE_PATTERNS):
        return _type_words(resource_type)
    return None


def data_kind_by_name(resource_type: str) -> str | None:
    """For a type the tables do not know: what it is in words, if its name says it holds
    data (a word from DATA_WORDS, and not ending in one from SETTING_WORDS); else None."""
    if resource_type in STATEFUL_TYPES or security_kind(resource_type):
        return None
    words = resource_type.split("_")[1:]
    if not words or words[-1] in SETTING_WORDS or not DATA_WORDS.intersection(words):
        return None
    return _type_words(resource_type)


_VERBS = {"create": "creates", "update": "changes", "replace": "replaces", "delete": "deletes"}


def assess(
    resource_type: str,
    action: str,
    before: Any,
    after: Any,
    changes: list[AttributeChange],
    *,
    mode: str = "managed",
    destroys: bool = True,
) -> list[Risk]:
    """The risks of one change, in APPROVAL_CLASSES order.

    `before`/`after` are the redacted values (None when absent); `changes` the attribute
    changes of an update or replacement; `destroys` is False for a replacement that
    forgets the old object instead of destroying it.
    """
    if action not in CHANGING_ACTIONS:
        return []
    risks = []
    verb = _VERBS[action]
    if mode == "managed" and destroys and action in ("delete", "replace"):
        kind = STATEFUL_TYPES.get(resource_type)
        if kind:
            consequence = "its data is lost" if action == "delete" else "the new one starts empty"
            risks.append(Risk(DATA_LOSS, f"{verb} {_article(kind)} {kind}: {consequence}"))
        elif guess := data_kind_by_name(resource_type):
            consequence = "its data may be lost" if action == "delete" else "the new one may start empty"
            risks.append(Risk(
                DATA_LOSS, f"{verb} {_article(guess)} {guess}, a type whose name says it holds data: {consequence}"
            ))
    if action in ("create", "update", "replace"):
        opened = exposures(resource_type, after) - exposures(resource_type, before)
        risks.extend(Risk(EXPOSURE, text) for text in sorted(opened))
    what = security_kind(resource_type)
    if what:
        risks.append(Risk(SECURITY, f"{verb} {_article(what)} {what}"))
    elif action in ("update", "replace"):
        touched = sorted({str(c.steps[0]) for c in changes if c.steps and _touches_access(c)})
        if touched:
            risks.append(Risk(SECURITY, "changes access settings: " + ", ".join(touched)))
    return risks


def _touches_access(change: AttributeChange) -> bool:
    for step in change.steps:
        if step in FREE_FORM_MAPS:
            return False
        if isinstance(step, str) and step in SECURITY_ATTRIBUTES:
            return True
    return False


# -- exposure -------------------------------------------------------------------------


def exposures(resource_type: str, values: Any) -> set[str]:
    """What in these values opens the resource to everyone, each said in words.

    A change exposes what its after-values open and its before-values did not.
    """
    if not isinstance(values, dict):
        return set()
    found: set[str] = set()
    found |= _open_ingress(resource_type, values)
    found |= _open_azure_rules(resource_type, values)
    found |= _open_firewall_range(resource_type, values)
    found |= _public_acls(values)
    found |= _public_members(values)
    found |= _public_policies(resource_type, values)
    found |= _public_switches(values)
    found |= _open_authorized_networks(values)
    return found


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _ports(rule: dict) -> str:
    protocol = rule.get("protocol", rule.get("ip_protocol"))
    low, high = rule.get("from_port"), rule.get("to_port")
    if isinstance(rule.get("allow"), list):  # google_compute_firewall
        parts = []
        for allow in rule["allow"]:
            if isinstance(allow, dict):
                ports = ",".join(_strings(allow.get("ports"))) or "all ports"
                parts.append(f"{allow.get('protocol', 'all')} {ports}")
        return " on " + "; ".join(parts) if parts else ""
    if protocol in ("-1", "all", -1):
        return " on all ports"
    if isinstance(low, int) and isinstance(high, int) and not isinstance(low, bool):
        ports = str(low) if low == high else f"{low}-{high}"
        return f" on {protocol or 'tcp'} {ports}"
    return ""


def _open_ingress(resource_type: str, values: dict) -> set[str]:
    source = INGRESS_SOURCES.get(resource_type)
    if not source:
        return set()
    block_attr, condition, cidr_attrs = source
    rules = values.get(block_attr) if block_attr else [values]
    found = set()
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict):
            continue
        if resource_type == "google_compute_firewall" and rule.get("deny") and not rule.get("allow"):
            continue  # a rule that only denies opens nothing
        if condition:
            attr, allowed, default = condition
            value = rule.get(attr)
            if value is None or isinstance(value, Marker):
                value = default  # absent, or known only after apply: the provider's default
            if value not in allowed:
                continue
        for attr in cidr_attrs:
            for cidr in _strings(rule.get(attr)):
                if cidr in WORLD_CIDRS:
                    found.add(f"opens ingress from {cidr}{_ports(rule)}")
        if resource_type == "google_compute_firewall" and _no_source(rule):
            found.add(f"opens ingress from 0.0.0.0/0 (no source given: Google's default){_ports(rule)}")
    return found


def _no_source(rule: dict) -> bool:
    """A Google firewall with no source ranges, tags or service accounts, each known to be
    unset: Google applies it to every source (hashicorp/terraform-provider-google#6789)."""
    sources = [rule.get(attr) for attr in ("source_ranges", "source_tags", "source_service_accounts")]
    return all(value in (None, []) for value in sources)


def _azure_ports(rule: dict) -> str:
    protocol = rule.get("protocol")
    protocol = "any protocol" if protocol in (None, "*") or isinstance(protocol, Marker) else str(protocol).lower()
    ports = _strings(rule.get("destination_port_range")) + _strings(rule.get("destination_port_ranges"))
    ports = ["all ports" if p == "*" else p for p in ports] or ["all ports"]
    return f" on {protocol} {', '.join(sorted(set(ports)))}"


def _open_azure_rules(resource_type: str, values: dict) -> set[str]:
    """azurerm network security rules (alone or inline) that allow inbound from anyone."""
    if resource_type == "azurerm_network_security_rule":
        rules = [values]
    elif resource_type == "azurerm_network_security_group":
        rules = values.get("security_rule") if isinstance(values.get("security_rule"), list) else []
    else:
        return set()
    found = set()
    for rule in rules:
        if not isinstance(rule, dict) or rule.get("access") != "Allow" or rule.get("direction") != "Inbound":
            continue
        sources = _strings(rule.get("source_address_prefix")) + _strings(rule.get("source_address_prefixes"))
        for source in sorted(set(sources) & AZURE_WORLD_SOURCES):
            found.add(f"allows inbound traffic from {source}{_azure_ports(rule)}")
    return found


# An Azure firewall rule's range this wide (a /8) or wider admits much of the internet.
_WIDE_RANGE = 2**24


def _open_firewall_range(resource_type: str, values: dict) -> set[str]:
    """Azure database and cache firewall rules open to everyone: a range covering every
    IPv4 address or a large part of it, or 0.0.0.0-0.0.0.0, Azure's "allow Azure services"
    switch, which admits every Azure customer's services."""
    if not resource_type.startswith("azurerm_") or not resource_type.endswith("firewall_rule"):
        return set()
    start = values.get("start_ip_address", values.get("start_ip"))
    end = values.get("end_ip_address", values.get("end_ip"))
    try:
        first, last = ipaddress.IPv4Address(start), ipaddress.IPv4Address(end)
    except (ipaddress.AddressValueError, ValueError):
        return set()
    if int(first) == int(last) == 0:
        return {"allows connections from every Azure service, other customers' too (0.0.0.0-0.0.0.0)"}
    addresses = int(last) - int(first) + 1
    if addresses == 2**32:
        return {f"allows connections from every address ({start}-{end})"}
    if addresses >= _WIDE_RANGE:
        return {f"allows connections from {addresses:,} addresses ({start}-{end})"}
    return set()


def _public_acls(values: dict) -> set[str]:
    """Canned ACLs, grants and ACL entities that let anyone read (or write)."""
    found = set()
    for attr in ("acl", "predefined_acl", "predefined_default_object_acl"):
        if values.get(attr) in PUBLIC_ACLS:
            found.add(f"sets the {values[attr]} ACL ({attr})")
    for policy in values.get("access_control_policy") or [] if isinstance(values.get("access_control_policy"), list) else []:
        for grant in (policy.get("grant") or []) if isinstance(policy, dict) else []:
            for grantee in (grant.get("grantee") or []) if isinstance(grant, dict) else []:
                if isinstance(grantee, dict) and grantee.get("uri") in PUBLIC_GRANTEES:
                    group = grantee["uri"].rsplit("/", 1)[-1]
                    found.add(f"grants {grant.get('permission') or 'access'} to the {group} group")
    for entity in _strings(values.get("role_entity")) + _strings(values.get("entity")):
        who = entity.rsplit(":", 1)[-1]
        if who in PUBLIC_MEMBERS:
            found.add(f"grants access to {who} ({entity})")
    return found


def _public_members(values: dict) -> set[str]:
    found = set()
    role = values.get("role") if isinstance(values.get("role"), str) else None
    for attr in ("member", "members"):
        for member in _strings(values.get(attr)):
            if member in PUBLIC_MEMBERS:
                found.add(f"grants {role or 'access'} to {member}")
    document = _json_document(values.get("policy_data"))
    if isinstance(document, dict):
        for binding in document.get("bindings") or []:
            if isinstance(binding, dict):
                for member in _strings(binding.get("members")):
                    if member in PUBLIC_MEMBERS:
                        found.add(f"grants {binding.get('role') or 'access'} to {member}")
    return found


def _json_document(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return None


def _everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in _strings(v) for v in principal.values())
    return False


def _public_policies(resource_type: str, values: dict) -> set[str]:
    """AWS resource policies that allow any principal ("*")."""
    found = set()
    document = _json_document(values.get("policy"))
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements if isinstance(statements, list) else []:
        if not isinstance(statement, dict) or statement.get("Effect", "Allow") != "Allow":
            continue
        if _everyone(statement.get("Principal")):
            actions = ", ".join(_strings(statement.get("Action"))) or "any action"
            condition = " (with conditions)" if statement.get("Condition") else ""
            found.add(f"allows anyone (Principal \"*\") {actions}{condition}")
    if resource_type == "aws_iam_policy_document":
        for statement in values.get("statement") or []:
            if not isinstance(statement, dict) or statement.get("effect", "Allow") != "Allow":
                continue
            for principals in statement.get("principals") or []:
                if isinstance(principals, dict) and "*" in _strings(principals.get("identifiers")):
                    actions = ", ".join(_strings(statement.get("actions"))) or "any action"
                    found.add(f"allows anyone (principal \"*\") {actions}")
    if resource_type == "aws_lambda_permission" and values.get("principal") == "*":
        found.add("allows anyone to invoke the function")
    if resource_type == "aws_lambda_function_url" and values.get("authorization_type") == "NONE":
        found.add("serves the function at a public URL without authentication")
    return found


def _public_switches(values: Any, path: str = "") -> set[str]:
    found = set()
    if isinstance(values, dict):
        for key, value in values.items():
            where = f"{path}.{key}" if path else str(key)
            if key in PUBLIC_SWITCHES and value is True:
                found.add(f"turns on {where}")
            else:
                found |= _public_switches(value, where)
    elif isinstance(values, list):
        for i, value in enumerate(values):
            found |= _public_switches(value, f"{path}[{i}]")
    return found


def _open_authorized_networks(values: Any) -> set[str]:
    """Cloud SQL `authorized_networks` that admit the whole internet."""
    found = set()
    if isinstance(values, dict):
        for key, value in values.items():
            if key == "authorized_networks":
                for network in value if isinstance(value, list) else []:
                    if isinstance(network, dict) and network.get("value") in WORLD_CIDRS:
                        found.add(f"authorizes connections from {network['value']}")
            else:
                found |= _open_authorized_networks(value)
    elif isinstance(values, list):
        for value in values:
            found |= _open_authorized_networks(value)
    return found
