"""ECS on Fargate: the cluster, a Cloud Map namespace, and per deployment unit a log group, a
security group, a task definition, a service and CPU autoscaling."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.appautoscaling_policy import AppautoscalingPolicy
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster
from cdktf_cdktf_provider_aws.ecs_service import EcsService
from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.service_discovery_instance import ServiceDiscoveryInstance
from cdktf_cdktf_provider_aws.service_discovery_private_dns_namespace import ServiceDiscoveryPrivateDnsNamespace
from cdktf_cdktf_provider_aws.service_discovery_service import ServiceDiscoveryService
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from gen.model import names, wiring
from gen.model.environments import Environment, Unit
from providers import blocks
from providers.aws import databases
from providers.aws.iam import app_user
from providers.aws.load_balancing import namespace_name

CPU_TARGET_PERCENT = 70
BACKLOG_TARGET_MESSAGES = 100  # queue consumers: scale out while more messages than this wait
HEALTH_CHECK_GRACE_SECONDS = 60
DNS_TTL = 10
REDIS_PORT = 6379


@dataclass
class Compute:
    cluster: EcsCluster
    namespace: ServiceDiscoveryPrivateDnsNamespace
    task_definitions: dict[str, EcsTaskDefinition] = field(default_factory=dict)
    services: dict[str, EcsService] = field(default_factory=dict)




def family(env: Environment, unit: Unit) -> str:
    return env.name_for(unit.name, names.AWS_ECS_NAME)


def log_groups(stack: TerraformStack, env: Environment) -> dict[str, CloudwatchLogGroup]:
    return {unit.name: CloudwatchLogGroup(
        stack, names.terraform_name(unit.name, "logs"), name=f"/{env.app.name}/{env.name}/{unit.name}",
        retention_in_days=int(env.settings["log_retention_days"]))
        for unit in env.units.values()}


def task_security_groups(stack: TerraformStack, env: Environment, network) -> dict[str, SecurityGroup]:
    """One per unit: load balancers, databases and caches admit exactly the units they serve."""
    groups = {}
    for unit in env.units.values():
        tf = names.terraform_name(unit.name)
        group = SecurityGroup(stack, f"{tf}_security_group", name=env.name_for(f"{unit.name}-tasks", names.AWS_SECURITY_GROUP),
                              description=f"tasks of {unit.name}", vpc_id=network.vpc_id,
                              tags={"Name": env.name_for(f"{unit.name}-tasks", 255)})
        # Outbound TCP anywhere: AWS APIs, the image registry, and whatever the service calls
        # (payment APIs, SMTP); DNS goes to the VPC resolver, which security groups do not filter.
        VpcSecurityGroupEgressRule(stack, f"{tf}_egress", security_group_id=group.id, cidr_ipv4="0.0.0.0/0",
                                   ip_protocol="tcp", from_port=0, to_port=65535, description="outbound TCP")
        groups[unit.name] = group
    return groups


def service_url(env: Environment, service: str) -> str:
    """A service's internal URL: its Cloud Map name (a group's members have a CNAME to the unit) and port."""
    return f"http://{service}.{namespace_name(env)}:{env.unit_of(service).port}"


def _alias(stack: TerraformStack, namespace, env: Environment, service: str, unit: Unit) -> None:
    """A group's service answers by its own name: `<service>` is a CNAME to `<unit>` in the
    namespace. Only Cloud Map may change its namespace's zone (Route 53 refuses a record written
    there), so the CNAME is a Cloud Map service (CNAME records route WEIGHTED) with one instance."""
    alias = ServiceDiscoveryService(
        stack, names.terraform_name("discovery", service), name=service, namespace_id=namespace.id,
        dns_config={"namespace_id": namespace.id, "routing_policy": "WEIGHTED",
                    "dns_records": [{"ttl": DNS_TTL, "type": "CNAME"}]})
    ServiceDiscoveryInstance(stack, names.terraform_name("discovery", service, "instance"), service_id=alias.id,
                             instance_id=unit.name,
                             attributes={"AWS_INSTANCE_CNAME": f"{unit.name}.{namespace_name(env)}"})


def service_calls(stack: TerraformStack, env: Environment, task_groups: dict) -> None:
    """`uses.services`: the callee's tasks admit each calling unit on exactly the callee's port.
    Nothing else opens one unit to another."""
    for callee, callers in wiring.callers(env).items():
        port = env.units[callee].port
        for caller in callers:
            VpcSecurityGroupIngressRule(
                stack, names.terraform_name(callee, "from", caller), security_group_id=task_groups[callee].id,
                referenced_security_group_id=task_groups[caller].id, ip_protocol="tcp", from_port=port, to_port=port,
                description=f"HTTP from {caller} (uses.services)")


def container_settings(env: Environment, unit: Unit, built) -> tuple[list[dict], list[dict]]:
    """(environment, secrets) of the unit's container: its plain variables and what it uses."""
    environment = dict(unit.env)
    secrets = {}
    for setting in wiring.settings(env.app, unit):
        if setting.kind == "database":
            if setting.secret:
                continue  # IAM database authentication: the unit signs a token with its task role, no password
            db = built.databases[setting.resource]
            environment[setting.variable] = {
                "host": db.instance.address, "port": str(databases.POSTGRES_PORT), "name": db.db_name,
                "user": app_user(unit.name)}[setting.attribute]
        elif setting.kind == "secret":
            secrets[setting.variable] = built.secrets[setting.resource].arn
        elif setting.kind == "bucket":
            environment[setting.variable] = built.buckets[setting.resource].bucket
        elif setting.kind == "topic":
            environment[setting.variable] = built.topics[setting.resource].arn
        elif setting.kind == "cache":
            if setting.attribute == "auth":
                continue  # TLS-only Redis reachable only from its users' security groups: no AUTH string
            cache = built.caches[setting.resource]
            environment[setting.variable] = (cache.primary_endpoint_address if setting.attribute == "host"
                                             else str(REDIS_PORT))
        elif setting.kind == "queue":
            environment[setting.variable] = built.queues[setting.resource].url
        elif setting.kind == "service":
            environment[setting.variable] = service_url(env, setting.resource)
        else:
            raise AssertionError(f"no AWS value for {setting}")
    return ([{"name": k, "value": v} for k, v in sorted(environment.items())],
            [{"name": k, "valueFrom": v} for k, v in sorted(secrets.items())])


def build(stack: TerraformStack, env: Environment, network, built, roles, balancing, task_groups) -> Compute:
    cluster = EcsCluster(stack, "cluster", name=env.name_for("", names.AWS_ECS_NAME),
                         setting=[{"name": "containerInsights",
                                   "value": "enabled" if env.type == "production" else "disabled"}])
    namespace = ServiceDiscoveryPrivateDnsNamespace(
        stack, "namespace", name=namespace_name(env), vpc=network.vpc_id,
        description=f"service discovery for {env.app.name} {env.name}")
    out = Compute(cluster, namespace)
    for unit in env.units.values():
        tf = names.terraform_name(unit.name)
        environment, secrets = container_settings(env, unit, built)
        container = {
            "name": unit.name,
            "image": unit.image,
            "essential": True,
            "environment": environment,
            "secrets": secrets,
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": built.log_groups[unit.name].name, "awslogs-region": env.region,
                "awslogs-stream-prefix": unit.name}},
        }
        if unit.command is not None:
            container["command"] = list(unit.command)
        if unit.ingress != "none":
            container["portMappings"] = [{"containerPort": unit.port, "protocol": "tcp", "name": "http"}]
        cpu = unit.cpu if unit.cpu is not None else env.settings["cpu"]
        memory = unit.memory if unit.memory is not None else env.settings["memory"]
        task = EcsTaskDefinition(
            stack, f"{tf}_task", family=family(env, unit), network_mode="awsvpc", requires_compatibilities=["FARGATE"],
            cpu=str(int(float(cpu) * 1024)), memory=str(memory),
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
            execution_role_arn=roles[unit.name].execution.arn, task_role_arn=roles[unit.name].task.arn,
            container_definitions=json.dumps([container], separators=(",", ":")))
        out.task_definitions[unit.name] = task

        discovery = ServiceDiscoveryService(
            stack, f"{tf}_discovery", name=unit.name, namespace_id=namespace.id,
            dns_config={"namespace_id": namespace.id, "routing_policy": "MULTIVALUE",
                        "dns_records": [{"ttl": DNS_TTL, "type": "A"}]},
            health_check_custom_config={"failure_threshold": 1})
        for service in unit.services:
            if service != unit.name:
                _alias(stack, namespace, env, service, unit)

        load_balancers = [{"target_group_arn": tg.arn, "container_name": unit.name, "container_port": unit.port}
                          for (owner, _), tg in sorted(balancing.target_groups.items(), key=lambda i: i[0])
                          if owner == unit.name]
        service = EcsService(
            stack, f"{tf}_service", name=unit.name, cluster=cluster.arn, task_definition=task.arn,
            desired_count=unit.min_instances, launch_type="FARGATE", platform_version="LATEST",
            network_configuration={"subnets": network.task_subnet_ids, "security_groups": [task_groups[unit.name].id],
                                   "assign_public_ip": network.assign_public_ip},
            load_balancer=blocks(load_balancers) or None,
            health_check_grace_period_seconds=HEALTH_CHECK_GRACE_SECONDS if load_balancers else None,
            service_registries={"registry_arn": discovery.arn},
            deployment_circuit_breaker={"enable": True, "rollback": True},
            deployment_minimum_healthy_percent=100, deployment_maximum_percent=200,
            propagate_tags="SERVICE", enable_ecs_managed_tags=True, wait_for_steady_state=False,
            lifecycle={"ignore_changes": ["desired_count"]},  # autoscaling owns it once created
            # The task definition names roles, not their policies: without these the first tasks
            # may start before IAM grants them logs, image and secrets (ResourceInitializationError;
            # the circuit breaker then fails the first deployment).
            depends_on=[*(balancing.listeners if load_balancers else []), *roles[unit.name].policies])
        out.services[unit.name] = service

        target = AppautoscalingTarget(
            stack, f"{tf}_scaling_target", service_namespace="ecs", scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{cluster.name}/{service.name}",
            min_capacity=unit.min_instances, max_capacity=unit.max_instances)
        queues = [q for key, q in sorted(built.queues.items()) if built.queue_unit[key] == unit.name]
        if unit.ingress != "none" or not queues:
            AppautoscalingPolicy(
                stack, f"{tf}_scaling_cpu", name=f"{unit.name}-cpu", policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace, scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration={
                    "target_value": CPU_TARGET_PERCENT,
                    "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}})
        if queues:
            _scale_on_backlog(stack, tf, unit, target, queues)
    return out


def _scale_on_backlog(stack, tf: str, unit: Unit, target, queues: list) -> None:
    """A queue consumer scales on the messages waiting in its queues (their sum, when several),
    not on CPU: a worker blocked on I/O would never scale out while its backlog grows."""
    if len(queues) == 1:
        metric = {"namespace": "AWS/SQS", "metric_name": "ApproximateNumberOfMessagesVisible", "statistic": "Sum",
                  "dimensions": blocks([{"name": "QueueName", "value": queues[0].name}])}
    else:  # metric math: the sum over the unit's queues
        metric = {"metrics": blocks([{"id": f"q{i}", "return_data": False, "metric_stat": {"stat": "Sum", "metric": {
            "namespace": "AWS/SQS", "metric_name": "ApproximateNumberOfMessagesVisible",
            "dimensions": [{"name": "QueueName", "value": queue.name}]}}} for i, queue in enumerate(queues)]
            + [{"id": "backlog", "label": "messages waiting", "return_data": True,
                "expression": " + ".join(f"q{i}" for i in range(len(queues)))}])}
    AppautoscalingPolicy(
        stack, f"{tf}_scaling_backlog", name=f"{unit.name}-backlog", policy_type="TargetTrackingScaling",
        service_namespace=target.service_namespace, scalable_dimension=target.scalable_dimension,
        resource_id=target.resource_id,
        target_tracking_scaling_policy_configuration={
            "target_value": BACKLOG_TARGET_MESSAGES,
            "customized_metric_specification": metric})
