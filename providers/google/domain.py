"""The environment's domain: a Google-managed certificate for it, and an A record to the load balancer's
address in the parent zone. The parent zone is the Cloud DNS managed zone (in the environment's project)
named after the domain's parent with dots as dashes: `staging.shop.example.com` -> zone `shop-example-com`
(an apex domain such as `example.com` goes in its own zone, `example-com`)."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformStack
from cdktf_cdktf_provider_google.compute_managed_ssl_certificate import ComputeManagedSslCertificate
from cdktf_cdktf_provider_google.data_google_dns_managed_zone import DataGoogleDnsManagedZone
from cdktf_cdktf_provider_google.dns_record_set import DnsRecordSet

from gen.model import names
from gen.model.environments import Environment

TTL = 300


@dataclass(frozen=True)
class Domain:
    name: str
    zone: DataGoogleDnsManagedZone
    certificate: ComputeManagedSslCertificate


def parent_zone_name(domain: str) -> str:
    """The zone the record goes in: the domain's parent, or the domain itself at a zone apex (example.com)."""
    zone = domain.split(".", 1)[1] if domain.count(".") >= 2 else domain
    return zone.replace(".", "-")


def build(stack: TerraformStack, env: Environment, apis: dict) -> Domain | None:
    if not env.domain or not any(u.public for u in env.units.values()):
        return None
    zone = DataGoogleDnsManagedZone(stack, "parent_zone", name=parent_zone_name(env.domain), depends_on=[apis["dns"]])
    certificate = ComputeManagedSslCertificate(
        # The name follows the domain, so a new domain's certificate is made before the old one goes.
        stack, "certificate", name=env.name_for(f"cert-{names.stable_hash(env.domain)}", names.GOOGLE_COMPUTE_NAME),
        type="MANAGED", managed={"domains": [env.domain]}, lifecycle={"create_before_destroy": True},
        depends_on=[apis["compute"]])
    return Domain(env.domain, zone, certificate)


def record(stack: TerraformStack, env: Environment, domain: Domain | None, balancing) -> None:
    if domain is None or balancing is None:
        return
    DnsRecordSet(stack, "domain_record", managed_zone=domain.zone.name, name=f"{domain.name}.", type="A", ttl=TTL,
                 rrdatas=[balancing.address.address])
