"""The environment's domain: the parent Route53 zone, an ACM certificate validated by DNS, and
the alias record to the public load balancer. Without a domain there is none of it."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.route53_record import Route53Record

from gen.model.environments import Environment


@dataclass(frozen=True)
class Domain:
    name: str
    zone: DataAwsRoute53Zone
    certificate_arn: str  # of the validated certificate: listeners wait for validation


def parent_zone(domain: str) -> str:
    """shop.example.com -> example.com (checks.py requires a domain with a parent)."""
    return domain.split(".", 1)[1]


def build(stack: TerraformStack, env: Environment) -> Domain | None:
    if not env.domain or not any(u.public for u in env.units.values()):
        return None
    zone = DataAwsRoute53Zone(stack, "parent_zone", name=parent_zone(env.domain), private_zone=False)
    certificate = AcmCertificate(stack, "certificate", domain_name=env.domain, validation_method="DNS",
                                 lifecycle={"create_before_destroy": True})
    option = "tolist(aws_acm_certificate.certificate.domain_validation_options)[0]"
    record = Route53Record(stack, "certificate_validation_record", zone_id=zone.zone_id,
                           name=f"${{{option}.resource_record_name}}", type=f"${{{option}.resource_record_type}}",
                           records=[f"${{{option}.resource_record_value}}"], ttl=60, allow_overwrite=True)
    validation = AcmCertificateValidation(stack, "certificate_validation", certificate_arn=certificate.arn,
                                          validation_record_fqdns=[record.fqdn])
    return Domain(env.domain, zone, validation.certificate_arn)


def alias(stack: TerraformStack, domain: Domain, load_balancer) -> None:
    Route53Record(stack, "domain_record", zone_id=domain.zone.zone_id, name=domain.name, type="A",
                  alias={"name": load_balancer.dns_name, "zone_id": load_balancer.zone_id,
                         "evaluate_target_health": True})
