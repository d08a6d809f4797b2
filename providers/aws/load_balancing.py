"""Load balancers: an internet-facing ALB when any service is public (rules by path prefix), an
internal ALB when any service is internal (rules by host name), a target group per unit and
load balancer, and the security group links load balancer -> tasks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener
from cdktf_cdktf_provider_aws.lb_listener_rule import LbListenerRule
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup
from cdktf_cdktf_provider_aws.route53_record import Route53Record
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone
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
    internal_zone: Route53Zone | None = None
    # (unit, "public" | "internal") -> target group
    target_groups: dict[tuple[str, str], LbTargetGroup] = field(default_factory=dict)
    listeners: list = field(default_factory=list)  # services wait for them


def internal_zone_name(env: Environment) -> str:
    """The private zone internal services are reached in through the internal ALB: `<env>.<app>.internal`."""
    return f"{env.name}.{env.app.name}.internal"


def path_patterns(path: str) -> list[str]:
    return [path, f"{path}/*"]


def _target_group(stack, env: Environment, network, unit: Unit, kind: str) -> LbTargetGroup:
    suffix = "" if kind == "public" else "-int"
    return LbTargetGroup(
        stack, names.terraform_name(unit.name, kind, "target_group"),
        name=env.name_for(f"{unit.name}{suffix}", names.AWS_TARGET_GROUP),
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
    group = _security_group(stack, env, network, "internal", "internal load balancer: HTTP from the environment's tasks")
    for unit in env.units.values():  # every task may call an internal service
        VpcSecurityGroupIngressRule(stack, names.terraform_name("internal_lb_from", unit.name),
                                    security_group_id=group.id, referenced_security_group_id=task_groups[unit.name].id,
                                    ip_protocol="tcp", from_port=80, to_port=80, description=f"HTTP from {unit.name}")
    lb = out.internal = _load_balancer(stack, env, network, task_groups, units, out, logs, group, "internal")
    listener = LbListener(stack, "internal_http_listener", load_balancer_arn=lb.arn, port=80, protocol="HTTP",
                          default_action=blocks([{"type": "fixed-response", "fixed_response": NOT_FOUND}]))
    out.listeners.append(listener)
    zone_name = internal_zone_name(env)
    zone = Route53Zone(stack, "internal_zone", name=zone_name, comment="internal services, through the internal load balancer",
                       vpc=blocks([{"vpc_id": network.vpc_id}]), force_destroy=True)
    out.internal_zone = zone
    priority = 0
    for unit in units:
        for service in unit.services:
            if env.services[service].ingress != "internal":
                continue
            priority += 10
            host = f"{service}.{zone_name}"
            out.listeners.append(LbListenerRule(
                stack, names.terraform_name("internal_route", service), listener_arn=listener.arn, priority=priority,
                condition=blocks([{"host_header": {"values": [host]}}]),
                action=blocks([{"type": "forward", "target_group_arn": out.target_groups[(unit.name, "internal")].arn}])))
            Route53Record(stack, names.terraform_name("internal_record", service), zone_id=zone.zone_id, name=host,
                          type="A", alias={"name": lb.dns_name, "zone_id": lb.zone_id, "evaluate_target_health": True})
