"""The VPC network: a custom-mode network, one regional subnetwork with Private Google Access (and flow
logs in production), Cloud NAT for outbound internet traffic, and private services access (a reserved
range peered with Google's service producer network) for Cloud SQL and Memorystore; or the existing
network and subnetwork the environment names, untouched."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformStack
from cdktf_cdktf_provider_google.compute_firewall import ComputeFirewall
from cdktf_cdktf_provider_google.compute_global_address import ComputeGlobalAddress
from cdktf_cdktf_provider_google.compute_network import ComputeNetwork
from cdktf_cdktf_provider_google.compute_router import ComputeRouter
from cdktf_cdktf_provider_google.compute_router_nat import ComputeRouterNat
from cdktf_cdktf_provider_google.compute_subnetwork import ComputeSubnetwork
from cdktf_cdktf_provider_google.service_networking_connection import ServiceNetworkingConnection

from gen.model import names
from gen.model.environments import Environment
from providers import blocks

DEFAULT_CIDR = "10.0.0.0/16"
PRIVATE_SERVICES_PREFIX = 20  # the range reserved for Cloud SQL and Memorystore: a /20 (4,096 addresses)
FLOW_LOG_SAMPLING = 0.5
FLOW_LOG_INTERVAL = "INTERVAL_5_SEC"


@dataclass(frozen=True)
class Network:
    network: str  # id (projects/P/global/networks/N): Cloud Run, Cloud SQL and Memorystore take it
    subnetwork: str  # id or name of the subnetwork Cloud Run's Direct VPC egress uses
    private_services: object | None  # the service networking connection, when this stack made it
    created: bool


def existing_network_id(env: Environment) -> str:
    name = str(env.network["network"])
    return name if name.startswith("projects/") else f"projects/{env.project}/global/networks/{name}"


def existing_subnetwork_id(env: Environment) -> str:
    name = str(env.network["subnetwork"])
    return name if name.startswith("projects/") else f"projects/{env.project}/regions/{env.region}/subnetworks/{name}"


def build(stack: TerraformStack, env: Environment, apis: dict) -> Network:
    if "network" in env.network:
        return Network(existing_network_id(env), existing_subnetwork_id(env), None, False)

    vpc = ComputeNetwork(stack, "network", name=env.name_for("network", names.GOOGLE_COMPUTE_NAME),
                         auto_create_subnetworks=False, routing_mode="REGIONAL",
                         depends_on=[apis["compute"]])
    flow_logs = {"log_config": {"aggregation_interval": FLOW_LOG_INTERVAL, "flow_sampling": FLOW_LOG_SAMPLING,
                                "metadata": "INCLUDE_ALL_METADATA"}} if env.settings["flow_logs"] else {}
    subnet = ComputeSubnetwork(stack, "subnetwork", name=env.name_for(env.region, names.GOOGLE_COMPUTE_NAME),
                               network=vpc.id, region=env.region,
                               ip_cidr_range=str(env.network.get("cidr", DEFAULT_CIDR)),
                               private_ip_google_access=True, **flow_logs)
    # Nothing in the network accepts connections from outside it: Cloud Run has no VM ports, and
    # Cloud SQL and Memorystore sit in Google's peered network. The rule makes the implied deny
    # explicit and logged (a lowest-priority rule the project's own rules can still override).
    ComputeFirewall(stack, "deny_ingress", name=env.name_for("deny-ingress", names.GOOGLE_COMPUTE_NAME),
                    network=vpc.id, direction="INGRESS", priority=65534, source_ranges=["0.0.0.0/0"],
                    deny=blocks([{"protocol": "all"}]), log_config={"metadata": "INCLUDE_ALL_METADATA"},
                    description="deny ingress from anywhere not allowed by a higher-priority rule")
    # Cloud Run sends all traffic into the VPC (so it may call internal-ingress units); the
    # internet (payment APIs, mail, the image registry's CDN) is reached through Cloud NAT.
    router = ComputeRouter(stack, "router", name=env.name_for("router", names.GOOGLE_COMPUTE_NAME),
                           network=vpc.id, region=env.region)
    ComputeRouterNat(stack, "nat", name=env.name_for("nat", names.GOOGLE_COMPUTE_NAME), router=router.name,
                     region=env.region, nat_ip_allocate_option="AUTO_ONLY",
                     source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
                     log_config={"enable": True, "filter": "ERRORS_ONLY"})
    connection = None
    if env.databases or env.caches:
        reserved = ComputeGlobalAddress(stack, "private_services_range",
                                        name=env.name_for("private-services", names.GOOGLE_COMPUTE_NAME),
                                        purpose="VPC_PEERING", address_type="INTERNAL",
                                        prefix_length=PRIVATE_SERVICES_PREFIX, network=vpc.id)
        # ABANDON: Google refuses to delete the peering while Cloud SQL's producer network still
        # holds it; the peering goes with the network.
        connection = ServiceNetworkingConnection(
            stack, "private_services", network=vpc.id, service="servicenetworking.googleapis.com",
            reserved_peering_ranges=[reserved.name], deletion_policy="ABANDON",
            depends_on=[apis["servicenetworking"]])
    return Network(vpc.id, subnet.id, connection, True)
