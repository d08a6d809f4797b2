"""The VPC: two zones, a public and a private subnet in each, internet and NAT gateways, routes,
an S3 gateway endpoint, flow logs; or the existing network the environment names, untouched."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from cdktf import Fn, TerraformStack
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_availability_zones import DataAwsAvailabilityZones
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from gen.model import names
from gen.model.environments import Environment
from providers.aws.iam import assume_role_policy, policy_json

DEFAULT_CIDR = "10.0.0.0/16"
ZONES = ("a", "b")  # two availability zones: index 0 and 1 of the region's available zones


@dataclass(frozen=True)
class Network:
    vpc_id: str
    public_subnet_ids: list[str]
    private_subnet_ids: list[str]
    task_subnet_ids: list[str]  # private subnets behind NAT, or public ones in a preview (no NAT)
    assign_public_ip: bool
    created: bool


def subnet_cidrs(cidr: str) -> dict[str, str]:
    """The network split in four equal subnets: public-a, public-b, private-a, private-b.

    A /16 gives four /18s (16,382 addresses each), a /24 four /26s; written into the stack
    literally so a plan shows them.
    """
    parts = list(ipaddress.ip_network(cidr).subnets(prefixlen_diff=2))
    return {"public-a": str(parts[0]), "public-b": str(parts[1]), "private-a": str(parts[2]), "private-b": str(parts[3])}


def store_security_group(stack: TerraformStack, env: Environment, network: Network, task_groups: dict,
                         store: str, kind: str, protocol: str, port: int, users: list[str]) -> SecurityGroup:
    """The security group of a database or cache (`kind` db | cache): `protocol` on `port` from
    the task security groups of the units in `users`, and from nothing else."""
    tf = names.terraform_name(store)
    group = SecurityGroup(stack, f"{tf}_{kind}_security_group",
                          name=env.name_for(f"{store}-{kind}", names.AWS_SECURITY_GROUP),
                          description=f"{'database' if kind == 'db' else kind} {store}: {protocol} from the tasks that use it",
                          vpc_id=network.vpc_id, tags={"Name": env.name_for(f"{store}-{kind}", 255)})
    for unit in users:
        VpcSecurityGroupIngressRule(
            stack, names.terraform_name(store, f"{kind}_from", unit), security_group_id=group.id,
            referenced_security_group_id=task_groups[unit].id, ip_protocol="tcp",
            from_port=port, to_port=port, description=f"{protocol} from {unit}")
    return group


def build(stack: TerraformStack, env: Environment) -> Network:
    no_nat = env.settings["nat_gateways"] == "none"
    if "vpc_id" in env.network:
        public = list(env.network["public_subnet_ids"])
        private = list(env.network["private_subnet_ids"])
        return Network(str(env.network["vpc_id"]), public, private, public if no_nat else private, no_nat, False)

    cidr = str(env.network.get("cidr", DEFAULT_CIDR))
    zones = DataAwsAvailabilityZones(stack, "available", state="available")
    vpc = Vpc(stack, "vpc", cidr_block=cidr, enable_dns_hostnames=True, enable_dns_support=True,
              tags={"Name": env.name_for("vpc", 255)})
    # The default security group of a new VPC allows all traffic between its members: empty it.
    DefaultSecurityGroup(stack, "default_security_group", vpc_id=vpc.id, ingress=[], egress=[])
    igw = InternetGateway(stack, "internet_gateway", vpc_id=vpc.id, tags={"Name": env.name_for("igw", 255)})

    cidrs = subnet_cidrs(cidr)
    subnets: dict[str, Subnet] = {}
    for kind in ("public", "private"):
        for index, zone in enumerate(ZONES):
            key = f"{kind}-{zone}"
            subnets[key] = Subnet(
                stack, names.terraform_name("subnet", kind, zone), vpc_id=vpc.id, cidr_block=cidrs[key],
                availability_zone=Fn.element(zones.names, index),
                map_public_ip_on_launch=False,  # tasks that need one (previews) ask for it; nothing else does
                tags={"Name": env.name_for(f"{kind}-{zone}", 255), "tier": kind})

    public_routes = RouteTable(stack, "route_table_public", vpc_id=vpc.id, tags={"Name": env.name_for("public", 255)})
    Route(stack, "route_public_internet", route_table_id=public_routes.id, destination_cidr_block="0.0.0.0/0",
          gateway_id=igw.id)
    for zone in ZONES:
        RouteTableAssociation(stack, names.terraform_name("route_table_association_public", zone),
                              subnet_id=subnets[f"public-{zone}"].id, route_table_id=public_routes.id)

    # NAT: one per zone (production), one shared (development), none (preview: the private
    # subnets only hold databases and caches, which need no internet).
    nat_zones = {"one-per-zone": ZONES, "one": ZONES[:1], "none": ()}[str(env.settings["nat_gateways"])]
    nats = {}
    for zone in nat_zones:
        eip = Eip(stack, names.terraform_name("nat_ip", zone), domain="vpc",
                  tags={"Name": env.name_for(f"nat-{zone}", 255)}, depends_on=[igw])
        nats[zone] = NatGateway(stack, names.terraform_name("nat_gateway", zone), allocation_id=eip.id,
                                subnet_id=subnets[f"public-{zone}"].id, tags={"Name": env.name_for(f"nat-{zone}", 255)},
                                depends_on=[igw])
    private_tables = ZONES if len(nats) == len(ZONES) else ZONES[:1]
    tables = {}
    for zone in private_tables:
        table = RouteTable(stack, names.terraform_name("route_table_private", zone if len(private_tables) > 1 else ""),
                           vpc_id=vpc.id, tags={"Name": env.name_for(f"private-{zone}" if len(private_tables) > 1 else "private", 255)})
        tables[zone] = table
        nat = nats.get(zone) or next(iter(nats.values()), None)
        if nat is not None:
            Route(stack, names.terraform_name("route_private_nat", zone if len(private_tables) > 1 else ""),
                  route_table_id=table.id, destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)
    for zone in ZONES:
        table = tables.get(zone) or tables[ZONES[0]]
        RouteTableAssociation(stack, names.terraform_name("route_table_association_private", zone),
                              subnet_id=subnets[f"private-{zone}"].id, route_table_id=table.id)

    # S3 through a gateway endpoint in every route table: image layers (ECR keeps them in S3),
    # the app's buckets and the access logs skip the NAT gateways (no per-GB charge, no NAT hop).
    VpcEndpoint(stack, "s3_endpoint", vpc_id=vpc.id, service_name=f"{'cn.' if str(env.region).startswith('cn-') else ''}com.amazonaws.{env.region}.s3",
                vpc_endpoint_type="Gateway",
                route_table_ids=[public_routes.id] + [table.id for _, table in sorted(tables.items())],
                tags={"Name": env.name_for("s3", 255)})

    if env.settings["flow_logs"]:
        _flow_logs(stack, env, vpc)

    public = [subnets["public-a"].id, subnets["public-b"].id]
    private = [subnets["private-a"].id, subnets["private-b"].id]
    return Network(vpc.id, public, private, public if no_nat else private, no_nat, True)


def _flow_logs(stack: TerraformStack, env: Environment, vpc: Vpc) -> None:
    group = CloudwatchLogGroup(stack, "vpc_flow_logs", name=f"/{env.app.name}/{env.name}/vpc-flow-logs",
                               retention_in_days=int(env.settings["log_retention_days"]))
    role = IamRole(stack, "vpc_flow_logs_role", name=env.name_for("vpc-flow-logs", names.AWS_IAM_ROLE),
                   assume_role_policy=assume_role_policy("vpc-flow-logs.amazonaws.com", env))
    IamRolePolicy(stack, "vpc_flow_logs_role_policy", name="write-flow-logs", role=role.id, policy=policy_json([{
        "Sid": "WriteFlowLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
        "Resource": [group.arn, f"{group.arn}:*"],
    }]))
    FlowLog(stack, "vpc_flow_log", vpc_id=vpc.id, traffic_type="ALL", log_destination_type="cloud-watch-logs",
            log_destination=group.arn, iam_role_arn=role.arn, max_aggregation_interval=60)
