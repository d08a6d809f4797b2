"""A large Terraform plan, made up: the shape `terraform show -json` gives, for size and speed.

Used by tests/test_review.py (the Markdown limit) and bench/review.py (timing). The changes
cycle through kinds a real platform plan has: S3 buckets created with tags, security group
rules (every tenth open to the world), IAM policies with JSON documents, databases updated
with a sensitive password, buckets deleted, Google firewalls and Azure network security
rules, each with realistic attribute counts.
"""

from __future__ import annotations

import json

SECRET_PREFIX = "big-plan-S3cret-"  # every sensitive value starts so; none may be printed


def _bucket(i: int) -> dict:
    after = {"bucket": f"team-{i}-assets", "force_destroy": False, "object_lock_enabled": False,
             "tags": {"team": f"team-{i % 37}", "cost-center": f"cc-{i % 11}"},
             "tags_all": {"team": f"team-{i % 37}", "cost-center": f"cc-{i % 11}", "managed-by": "gen"}}
    unknown = {"arn": True, "id": True, "bucket_domain_name": True, "region": True, "tags": {}, "tags_all": {}}
    return _entry(f"module.team_{i % 50}.aws_s3_bucket.assets[{i}]", "aws_s3_bucket", ["create"], None, after,
                  after_unknown=unknown, after_sensitive={"tags": {}, "tags_all": {}})


def _rule(i: int) -> dict:
    cidr = "0.0.0.0/0" if i % 10 == 0 else f"10.{i % 250}.0.0/16"
    after = {"type": "ingress", "protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": [cidr],
             "security_group_id": f"sg-{i:08x}", "self": False, "description": f"rule {i}"}
    return _entry(f"aws_security_group_rule.https[{i}]", "aws_security_group_rule", ["create"], None, after,
                  after_unknown={"id": True})


def _policy(i: int) -> dict:
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::team-{i}-assets/*"}]}
    before = {"name": f"team-{i}", "policy": json.dumps(document), "path": "/"}
    document["Statement"][0]["Action"].append("s3:DeleteObject")
    after = dict(before, policy=json.dumps(document))
    return _entry(f"aws_iam_policy.team[{i}]", "aws_iam_policy", ["update"], before, after)


def _database(i: int) -> dict:
    before = {"identifier": f"orders-{i}", "engine": "postgres", "instance_class": "db.t3.medium",
              "allocated_storage": 20, "password": f"{SECRET_PREFIX}old-{i}", "username": "orders",
              "tags": {"team": f"team-{i % 37}"}}
    after = dict(before, instance_class="db.t3.large", password=f"{SECRET_PREFIX}new-{i}")
    mask = {"password": True, "tags": {}}
    return _entry(f"aws_db_instance.orders[{i}]", "aws_db_instance", ["update"], before, after,
                  before_sensitive=mask, after_sensitive=mask)


def _old_bucket(i: int) -> dict:
    before = {"bucket": f"legacy-{i}", "arn": f"arn:aws:s3:::legacy-{i}", "tags": {}}
    return _entry(f"aws_s3_bucket.legacy[{i}]", "aws_s3_bucket", ["delete"], before, None,
                  reason="delete_because_no_resource_config")


def _firewall(i: int) -> dict:
    after = {"name": f"allow-{i}", "network": "default", "source_ranges": ["0.0.0.0/0" if i % 5 == 0 else "10.0.0.0/8"],
             "allow": [{"protocol": "tcp", "ports": [str(8000 + i % 100)]}], "target_tags": [f"svc-{i}"]}
    return _entry(f"google_compute_firewall.allow[{i}]", "google_compute_firewall", ["create"], None, after,
                  after_unknown={"direction": True, "id": True, "self_link": True})


def _nsg_rule(i: int) -> dict:
    after = {"name": f"rule-{i}", "direction": "Inbound", "access": "Allow", "protocol": "Tcp", "priority": 100 + i % 4000,
             "source_address_prefix": "Internet" if i % 7 == 0 else "VirtualNetwork",
             "destination_port_range": "443", "resource_group_name": "rg", "network_security_group_name": "nsg"}
    return _entry(f"azurerm_network_security_rule.web[{i}]", "azurerm_network_security_rule", ["create"], None, after,
                  after_unknown={"id": True})


KINDS = (_bucket, _rule, _policy, _database, _old_bucket, _firewall, _nsg_rule)


def _entry(address, resource_type, actions, before, after, *, after_unknown=None, before_sensitive=None,
           after_sensitive=None, reason=None) -> dict:
    name = address.split(".")[-1].split("[")[0]
    entry = {"address": address, "mode": "managed", "type": resource_type, "name": name,
             "provider_name": "registry.terraform.io/hashicorp/aws",
             "change": {"actions": actions, "before": before, "after": after,
                        "after_unknown": after_unknown or {}, "before_sensitive": before_sensitive or {},
                        "after_sensitive": after_sensitive or {}}}
    if reason:
        entry["action_reason"] = reason
    return entry


def big_plan(changes: int) -> dict:
    """A plan (format 1.2) with this many resource changes, the kinds in turn."""
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "resource_changes": [KINDS[i % len(KINDS)](i) for i in range(changes)],
        "output_changes": {"db_password": {"actions": ["update"], "before": f"{SECRET_PREFIX}out-old",
                                           "after": f"{SECRET_PREFIX}out-new", "before_sensitive": True,
                                           "after_sensitive": True}},
        "errored": False,
        "complete": True,
    }
