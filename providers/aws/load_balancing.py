"""Load balancers: an internet-facing ALB when any service is public (rules by path prefix, only
the public services' prefixes), an internal ALB when any service is internal, a target group per
unit and load balancer, and the security group links load balancer -> tasks.

The internal ALB health-checks the units that host internal services (ECS replaces the tasks
it finds unhealthy) and admits no client: services call each other directly through Cloud
Map, each declared pair through a security-group rule of its own (compute.service_calls), so
a caller reaches exactly the services it declares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener
from cdktf_cdktf_provider_aws.lb_listener_rule import LbListenerRule
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from gen.model import names
from gen.model.environments import Environment, Unit
from providers import blocks
from providers.aws.buckets import LOAD_BALANCER_LOG_PREFIX
from providers.aws import domain as domains

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"  # TLS 1.2 and 1.3 only
ANYWHERE = "0.0.0.0/0"
NOT_FOUND = {"content_type": "text/plain", "message_body": "not found", "status_code": "404"}
DEREGISTRATION_DELAY = 30


@dataclass
class LoadBalancing:
    public: Lb | None = None
    internal: Lb | None = None
    # (unit, "public" | "internal") -> target group
    target_groups: dict[tuple[str, str], LbTargetGroup] = field(default_factory=dict)
    listeners: list = field(default_factory=list)  # services wait for them


def namespace_name(env: Environment) -> str:
    """The Cloud Map namespace units register in, as Copilot names it: `<env>.<app>.local`."""
    return f"{env.name}.{env.app.name}.local"


def path_patterns(path: str) -> list[str]:
    return [path, f"{path}/*"]


def target_group_prefix(unit: Unit, kind: str) -> str:
    """AWS allows a target group name prefix of at most 6 characters; Terraform appends a unique suffix."""
    return (("i" if kind == "internal" else "") + unit.name)[:5].rstrip("-") + "-"


def _target_group(stack, env: Environment, network, unit: Unit, kind: str) -> LbTargetGroup:
    # A port change replaces the group: the new one must exist before the listener lets go of
    # the old, so a generated name (name_prefix) and create_before_destroy, never a fixed name.
    suffix = "" if kind == "public" else "-int"
    return LbTargetGroup(
        stack, names.terraform_name(unit.name, kind, "target_group"),
        name_prefix=target_group_prefix(unit, kind), lifecycle={"create_before_destroy": True},
        tags={"Name": env.name_for(f"{unit.name}{suffix}", 255)},
        port=unit.port, protocol="HTTP", target_type="ip", vpc_id=network.vpc_id,
        deregistration_delay=str(DEREGISTRATION_DELAY),
        health_check={"enabled": True, "path": unit.health_check or "/", "protocol": "HTTP", "port": "traffic-port",
                      "matcher": "200-399", "interval": 15, "timeout": 5, "healthy_threshold": 2,
                      "unhealthy_threshold": 3})


def _security_group(stack, env: Environment, network, kind: str, description: str) -> SecurityGroup:
    return SecurityGroup(stack, f"{kind}_load_balancer_security_group",
                         name=env.name_for(f"{kind}-lb", names.AWS_SECURITY_GROUP), description=description,
                         vpc_id=network.vpc_id, tags={"Name": env.name_for(f"{kind}-lb", 255)})


def _to_tasks(stack, kind: str, group: SecurityGroup, unit: Unit, task_groups: dict) -> None:
    """Let the load balancer reach the unit's port, and the unit accept it from the load balancer only."""
    tf = names.terraform_name(kind, "lb_to", unit.name)
    VpcSecurityGroupEgressRule(stack, tf, security_group_id=group.id,
                               referenced_security_group_id=task_groups[unit.name].id, ip_protocol="tcp",
                               from_port=unit.port, to_port=unit.port, description=f"to {unit.name}")
    VpcSecurityGroupIngressRule(stack, names.terraform_name(unit.name, "from", kind, "lb"),
                                security_group_id=task_groups[unit.name].id, referenced_security_group_id=group.id,
                                ip_protocol="tcp", from_port=unit.port, to_port=unit.port,
                                description=f"from the {kind} load balancer")


def _access_logs(logs, kind: str) -> dict:
    if logs is None:
        return {}
    return {"access_logs": {"bucket": logs.bucket.id, "prefix": f"{LOAD_BALANCER_LOG_PREFIX}/{kind}", "enabled": True},
            "depends_on": [logs.policy]}


def build(stack: TerraformStack, env: Environment, network, task_groups: dict, domain, logs=None) -> LoadBalancing:
    out = LoadBalancing()
    public_units = [u for u in env.units.values() if u.public]
    internal_units = [u for u in env.units.values() if u.internal]
    if public_units:
        _public(stack, env, network, task_groups, domain, public_units, out, logs)
    if internal_units:
        _internal(stack, env, network, task_groups, internal_units, out, logs)
    return out


def _load_balancer(stack, env, network, task_groups, units, out: LoadBalancing, logs, group, which: str) -> Lb:
    """The public (internet-facing, public subnets) or internal (private subnets) ALB, with a
    target group per unit it serves, reachable from the load balancer's security group."""
    lb = Lb(stack, f"{which}_load_balancer", name=env.name_for(which, names.AWS_LOAD_BALANCER),
            load_balancer_type="application", internal=which == "internal", security_groups=[group.id],
            subnets=network.private_subnet_ids if which == "internal" else network.public_subnet_ids,
            drop_invalid_header_fields=True, enable_deletion_protection=env.prevent_destroy,
            desync_mitigation_mode="defensive", **_access_logs(logs, which))
    for unit in units:
        out.target_groups[(unit.name, which)] = _target_group(stack, env, network, unit, which)
        _to_tasks(stack, which, group, unit, task_groups)
    return lb


def _public(stack, env, network, task_groups, domain, units, out: LoadBalancing, logs) -> None:
    group = _security_group(stack, env, network, "public", "public load balancer: HTTP and HTTPS from the internet")
    ports = (80, 443) if domain else (80,)
    for port in ports:
        VpcSecurityGroupIngressRule(stack, f"public_lb_from_internet_{port}", security_group_id=group.id,
                                    cidr_ipv4=ANYWHERE, ip_protocol="tcp", from_port=port, to_port=port,
                                    description=f"{'HTTPS' if port == 443 else 'HTTP'} from the internet")
    lb = out.public = _load_balancer(stack, env, network, task_groups, units, out, logs, group, "public")

    # Rules by path prefix, longest first; "/" is the listener's default.
    routes = sorted(((path, unit) for unit in units for path in unit.public_paths),
                    key=lambda r: (-len(r[0]), r[0]))
    root = next((unit for path, unit in routes if path == "/"), None)
    default = ({"type": "forward", "target_group_arn": out.target_groups[(root.name, "public")].arn} if root
               else {"type": "fixed-response", "fixed_response": NOT_FOUND})
    if domain:
        listener = LbListener(stack, "public_https_listener", load_balancer_arn=lb.arn, port=443, protocol="HTTPS",
                              ssl_policy=TLS_POLICY, certificate_arn=domain.certificate_arn, default_action=blocks([default]))
        redirect = LbListener(stack, "public_http_listener", load_balancer_arn=lb.arn, port=80, protocol="HTTP",
                              default_action=blocks([{"type": "redirect", "redirect": {
                                  "port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}}]))
        out.listeners += [listener, redirect]
        domains.alias(stack, domain, lb)
    else:
        listener = LbListener(stack, "public_http_listener", load_balancer_arn=lb.arn, port=80, protocol="HTTP",
                              default_action=blocks([default]))
        out.listeners.append(listener)
    priority = 0
    for path, unit in routes:
        if path == "/":
            continue
        priority += 10
        out.listeners.append(LbListenerRule(
            stack, names.terraform_name("public_route", unit.name, re.sub(r"[^A-Za-z0-9_]", "_", path.strip("/"))),
            listener_arn=listener.arn, priority=priority,
            condition=blocks([{"path_pattern": {"values": path_patterns(path)}}]),
            action=blocks([{"type": "forward", "target_group_arn": out.target_groups[(unit.name, "public")].arn}])))


def _internal(stack, env, network, task_groups, units, out: LoadBalancing, logs) -> None:
    # No ingress rule: no client reaches this load balancer. It health-checks the units of
    # internal services; a rule per unit (its Cloud Map name) attaches each target group to it,
    # as ECS requires of a service's target group.
    # (The description predates this: a security group's description cannot change without
    # replacing the group, which fails while the load balancer uses it.)
    group = _security_group(stack, env, network, "internal", "internal load balancer: HTTP from the environment's tasks")
    lb = out.internal = _load_balancer(stack, env, network, task_groups, units, out, logs, group, "internal")
    listener = LbListener(stack, "internal_http_listener", load_balancer_arn=lb.arn, port=80, protocol="HTTP",
                          default_action=blocks([{"type": "fixed-response", "fixed_response": NOT_FOUND}]))
    out.listeners.append(listener)
    for priority, unit in enumerate(units, start=1):
        out.listeners.append(LbListenerRule(
            stack, names.terraform_name("internal_route", unit.name), listener_arn=listener.arn, priority=priority * 10,
            condition=blocks([{"host_header": {"values": [f"{unit.name}.{namespace_name(env)}"]}}]),
            action=blocks([{"type": "forward", "target_group_arn": out.target_groups[(unit.name, "internal")].arn}])))
