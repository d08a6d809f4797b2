"""The global external Application Load Balancer (EXTERNAL_MANAGED) in front of the public units: a
serverless NEG and a backend service per public unit, a URL map forwarding only the public services'
path prefixes (404 elsewhere, unless a public service sits at `/`), HTTPS with the managed
certificate and a modern TLS policy plus an HTTP->HTTPS redirect when the environment has a domain, else
HTTP on the load balancer's address."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformStack
from cdktf_cdktf_provider_google.cloud_run_v2_service_iam_member import CloudRunV2ServiceIamMember
from cdktf_cdktf_provider_google.compute_backend_service import ComputeBackendService
from cdktf_cdktf_provider_google.compute_global_address import ComputeGlobalAddress
from cdktf_cdktf_provider_google.compute_global_forwarding_rule import ComputeGlobalForwardingRule
from cdktf_cdktf_provider_google.compute_region_network_endpoint_group import ComputeRegionNetworkEndpointGroup
from cdktf_cdktf_provider_google.compute_ssl_policy import ComputeSslPolicy
from cdktf_cdktf_provider_google.compute_target_http_proxy import ComputeTargetHttpProxy
from cdktf_cdktf_provider_google.compute_target_https_proxy import ComputeTargetHttpsProxy
from cdktf_cdktf_provider_google.compute_url_map import ComputeUrlMap

from gen.model import names
from gen.model.environments import Environment
from providers import blocks
from providers.google.iam import RUN_INVOKER

SCHEME = "EXTERNAL_MANAGED"
PATH_MATCHER = "paths"
# What the load balancer answers for a path no public service has, where none sits at `/`. Fault
# injection is the global external Application Load Balancer's way to answer without a backend.
NOT_FOUND = {"fault_injection_policy": {"abort": {"http_status": 404, "percentage": 100}}}


@dataclass(frozen=True)
class Balancing:
    address: ComputeGlobalAddress
    https: bool
    url_map: ComputeUrlMap


def _name(env: Environment, resource: str) -> str:
    return env.name_for(resource, names.GOOGLE_COMPUTE_NAME)


def path_rules(env: Environment, backends: dict) -> tuple[str, bool, list[dict]]:
    """(default backend, whether the default answers 404 itself, path rules).

    Only the public services' prefixes are forwarded: `/api` routes `/api` and `/api/*` to the unit of
    the public service at `/api`. Everything else goes to the unit of the public service at `/`, or,
    where no public service sits at `/`, is answered 404 by the load balancer (an abort at 100 %: the
    backend a URL map must name as its default never sees the request). So a unit's internal services
    and its Pub/Sub push paths are not published, except under a public service's prefix.
    """
    routes = sorted((service.path, env.unit_of(service.name).name) for service in env.services.values()
                    if service.ingress == "public")
    root = next((unit for path, unit in routes if path == "/"), None)
    rules = [{"paths": [path, f"{path.rstrip('/')}/*"], "service": backends[unit].id}
             for path, unit in routes if path != "/"]
    return backends[root or routes[0][1]].id, root is None, rules


def build(stack: TerraformStack, env: Environment, units: dict, domain, apis: dict) -> Balancing | None:
    public = [u for u in env.units.values() if u.public]
    if not public:
        return None
    backends = {}
    for unit in public:
        tf = names.terraform_name(unit.name)
        service = units[unit.name]
        neg = ComputeRegionNetworkEndpointGroup(
            stack, f"{tf}_neg", name=_name(env, f"{unit.name}-neg"), region=env.region,
            network_endpoint_type="SERVERLESS", cloud_run={"service": service.name}, depends_on=[apis["compute"]])
        backends[unit.name] = ComputeBackendService(
            stack, f"{tf}_backend", name=_name(env, f"{unit.name}-backend"), load_balancing_scheme=SCHEME,
            protocol="HTTPS", backend=blocks([{"group": neg.id}]), log_config={"enable": True, "sample_rate": 1})
        # The load balancer forwards the caller's request; without IAP, Cloud Run only lets it
        # through if anyone may invoke the service. Ingress stays internal-and-load-balancer, so
        # the service's own run.app URL refuses traffic from the internet.
        CloudRunV2ServiceIamMember(stack, f"{tf}_public_invoker", project=env.project, location=service.location,
                                   name=service.name, role=RUN_INVOKER, member="allUsers")
    default, not_found, rules = path_rules(env, backends)
    otherwise = {"default_route_action": NOT_FOUND} if not_found else {}
    matcher = {"host_rule": blocks([{"hosts": ["*"], "path_matcher": PATH_MATCHER}]),
               "path_matcher": blocks([{"name": PATH_MATCHER, "default_service": default, "path_rule": rules,
                                        **otherwise}])} if rules else {}
    url_map = ComputeUrlMap(stack, "url_map", name=_name(env, "lb"), default_service=default, **otherwise, **matcher)
    address = ComputeGlobalAddress(stack, "lb_address", name=_name(env, "lb"), depends_on=[apis["compute"]])
    if domain is None:
        proxy = ComputeTargetHttpProxy(stack, "http_proxy", name=_name(env, "http"), url_map=url_map.id)
        ComputeGlobalForwardingRule(stack, "http_rule", name=_name(env, "http"), target=proxy.id,
                                    ip_address=address.id, port_range="80", load_balancing_scheme=SCHEME)
        return Balancing(address, False, url_map)
    policy = ComputeSslPolicy(stack, "ssl_policy", name=_name(env, "tls"), profile="MODERN", min_tls_version="TLS_1_2")
    https = ComputeTargetHttpsProxy(stack, "https_proxy", name=_name(env, "https"), url_map=url_map.id,
                                    ssl_certificates=[domain.certificate.id], ssl_policy=policy.id)
    ComputeGlobalForwardingRule(stack, "https_rule", name=_name(env, "https"), target=https.id,
                                ip_address=address.id, port_range="443", load_balancing_scheme=SCHEME)
    redirect = ComputeUrlMap(stack, "redirect_url_map", name=_name(env, "redirect"),
                             default_url_redirect={"https_redirect": True, "strip_query": False,
                                                   "redirect_response_code": "MOVED_PERMANENTLY_DEFAULT"})
    proxy = ComputeTargetHttpProxy(stack, "redirect_proxy", name=_name(env, "redirect"), url_map=redirect.id)
    ComputeGlobalForwardingRule(stack, "redirect_rule", name=_name(env, "redirect"), target=proxy.id,
                                ip_address=address.id, port_range="80", load_balancing_scheme=SCHEME)
    return Balancing(address, True, url_map)
