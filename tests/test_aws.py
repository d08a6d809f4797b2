"""Properties of the synthesized AWS stacks, asserted on their Terraform JSON."""

from __future__ import annotations

import json
import re

import pytest

from conftest import EXAMPLES

PROD, PREVIEW, LEDGER = ("shop", "prod"), ("shop", "pr:1"), ("aws-groups-existing-network", "live")
AWS_CASES = [PROD, PREVIEW, LEDGER]
STATEFUL = ("aws_db_instance", "aws_s3_bucket", "aws_elasticache_replication_group", "aws_secretsmanager_secret")


def resources(synthesized, case) -> dict:
    return synthesized[case]["json"]["resource"]


def policies(stack: dict):
    """Every IAM-style JSON document in the stack: role policies, trust, bucket and queue policies."""
    for kind, field in (("aws_iam_role_policy", "policy"), ("aws_iam_role", "assume_role_policy"),
                        ("aws_s3_bucket_policy", "policy"), ("aws_sqs_queue_policy", "policy"), ("aws_sns_topic_policy", "policy")):
        for name, body in stack["resource"].get(kind, {}).items():
            yield f"{kind}.{name}", json.loads(body[field])


@pytest.mark.parametrize("case", AWS_CASES, ids=lambda c: "-".join(c))
def test_no_allow_statement_has_a_wildcard_action(synthesized, case):
    for address, document in policies(synthesized[case]["json"]):
        for statement in document["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Effect"] == "Allow":
                assert not [a for a in actions if "*" in a], address
            else:  # only the TLS-only bucket policy denies, and it must deny everything
                assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}, address


@pytest.mark.parametrize("case", AWS_CASES, ids=lambda c: "-".join(c))
def test_wildcard_resource_only_for_ecr_login(synthesized, case):
    for address, document in policies(synthesized[case]["json"]):
        for statement in document["Statement"]:
            if statement["Effect"] == "Allow" and statement.get("Resource") == "*":
                assert statement["Action"] == "ecr:GetAuthorizationToken", address


@pytest.mark.parametrize("case", AWS_CASES, ids=lambda c: "-".join(c))
def test_only_the_public_load_balancer_is_open_to_the_internet(synthesized, case):
    res = resources(synthesized, case)
    open_rules = {name: (rule["from_port"], rule["to_port"]) for name, rule in
                  res.get("aws_vpc_security_group_ingress_rule", {}).items()
                  if rule.get("cidr_ipv4") == "0.0.0.0/0" or rule.get("cidr_ipv6") == "::/0"}
    assert set(open_rules.values()) <= {(80, 80), (443, 443)}
    for name in open_rules:
        assert res["aws_vpc_security_group_ingress_rule"][name]["security_group_id"] == \
            "${aws_security_group.public_load_balancer_security_group.id}"
    for group in res.get("aws_security_group", {}).values():
        assert "ingress" not in group  # rules are separate resources, so they are all checked above


def test_prevent_destroy_on_stateful_resources_in_production_only(synthesized):
    for case, expected in ((PROD, True), (LEDGER, True), (PREVIEW, False)):
        res = resources(synthesized, case)
        for kind in STATEFUL:
            for name, body in res.get(kind, {}).items():
                assert body.get("lifecycle", {}).get("prevent_destroy", False) is expected, f"{case} {kind}.{name}"


def test_nat_gateways_by_type(synthesized):
    assert "aws_nat_gateway" not in resources(synthesized, PREVIEW)
    assert len(resources(synthesized, PROD)["aws_nat_gateway"]) == 2
    assert "aws_flow_log" in resources(synthesized, PROD)
    assert "aws_flow_log" not in resources(synthesized, PREVIEW)


def test_preview_tasks_in_public_subnets_reachable_only_from_load_balancers(synthesized):
    res = resources(synthesized, PREVIEW)
    for service in res["aws_ecs_service"].values():
        assert service["network_configuration"]["assign_public_ip"] is True
        assert all("subnet_public" in s for s in service["network_configuration"]["subnets"])
    for name, rule in res["aws_vpc_security_group_ingress_rule"].items():
        if re.search(r"_security_group\.(web|api|worker|pdf_renderer)_security_group", rule["security_group_id"]):
            # from a load balancer, or from the one declared caller (api uses.services pdf-renderer)
            assert "load_balancer_security_group" in rule["referenced_security_group_id"] or name == "pdf_renderer_from_api", name


def test_existing_network_creates_none(synthesized):
    res = resources(synthesized, LEDGER)
    for kind in ("aws_vpc", "aws_subnet", "aws_internet_gateway", "aws_nat_gateway", "aws_route_table",
                 "aws_route", "aws_flow_log", "aws_eip"):
        assert kind not in res
    assert res["aws_security_group"]["edge_security_group"]["vpc_id"] == "vpc-0a1b2c3d4e5f60718"
    assert res["aws_db_subnet_group"]["database_subnets"]["subnet_ids"] == [
        "subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]


def _containers(body) -> list[dict]:
    return json.loads(body["container_definitions"])


@pytest.mark.parametrize("case", AWS_CASES, ids=lambda c: "-".join(c))
def test_every_unit_has_a_task_definition_and_service_with_services_var(synthesized, case):
    from gen.model.environments import resolve
    from gen.model.validate import load_app

    env = resolve(load_app(EXAMPLES / f"{case[0]}.json"), case[1])
    res = resources(synthesized, case)
    for unit in env.units.values():
        tf = unit.name.replace("-", "_")
        assert f"{tf}_service" in res["aws_ecs_service"]
        (container,) = _containers(res["aws_ecs_task_definition"][f"{tf}_task"])
        variables = {v["name"]: v["value"] for v in container["environment"]}
        assert variables["SERVICES"] == ",".join(unit.services)


@pytest.mark.parametrize("case", AWS_CASES, ids=lambda c: "-".join(c))
def test_secrets_are_never_plain_environment(synthesized, case):
    for name, body in resources(synthesized, case)["aws_ecs_task_definition"].items():
        (container,) = _containers(body)
        plain = {v["name"] for v in container["environment"]}
        assert not [n for n in plain if n.endswith("_PASSWORD") or n in ("STRIPE_KEY", "SMTP_PASSWORD", "BANK_API_KEY")]
        for secret in container["secrets"]:
            assert secret["valueFrom"].startswith("${aws_"), name


def test_model_secrets_come_from_secrets_manager(synthesized):
    (container,) = _containers(resources(synthesized, PROD)["aws_ecs_task_definition"]["api_task"])
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert secrets == {"STRIPE_KEY": "${aws_secretsmanager_secret.stripe_key_secret.arn}"}


def test_bucket_names_hash_the_account():
    from gen.model.environments import resolve
    from gen.model.validate import load_app
    from providers.aws.buckets import bucket_name

    app = load_app(EXAMPLES / "shop.json")
    env = resolve(app, "prod")
    other = type(env)(**{**env.__dict__, "account": "333333333333"})
    assert bucket_name(env, "receipts") != bucket_name(other, "receipts")
    assert re.fullmatch(r"shop-prod-receipts-[0-9a-f]{8}", bucket_name(env, "receipts"))


def test_bucket_names_in_the_stack(synthesized):
    names = {b["bucket"] for b in resources(synthesized, PROD)["aws_s3_bucket"].values()}
    assert all(re.fullmatch(r"shop-prod-(assets|receipts|access-logs)-[0-9a-f]{8}", n) for n in names)


def test_task_roles_grant_exactly_what_the_unit_uses(synthesized):
    res = resources(synthesized, PROD)
    pdf = json.loads(res["aws_iam_role_policy"]["pdf_renderer_task_policy"]["policy"])["Statement"]
    assert [(s["Action"], s["Resource"]) for s in pdf] == [
        (["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject"], "${aws_s3_bucket.receipts_bucket.arn}/*")]
    assert "web_task_policy" not in res["aws_iam_role_policy"]  # web uses nothing
    worker = json.loads(res["aws_iam_role_policy"]["worker_task_policy"]["policy"])["Statement"]
    consume = next(s for s in worker if s["Sid"] == "ConsumeQueues")
    assert consume["Resource"] == ["${aws_sqs_queue.order_created_send_receipt_queue.arn}"]


def test_cron_role_runs_only_its_task_family(synthesized):
    res = resources(synthesized, PROD)
    statements = json.loads(res["aws_iam_role_policy"]["nightly_report_schedule_policy"]["policy"])["Statement"]
    run = next(s for s in statements if s["Action"] == "ecs:RunTask")
    assert all("task-definition/shop-prod-worker" in r for r in run["Resource"])
    passing = next(s for s in statements if s["Action"] == "iam:PassRole")
    assert passing["Resource"] == ["${aws_iam_role.worker_execution_role.arn}", "${aws_iam_role.worker_task_role.arn}"]
    schedule = res["aws_scheduler_schedule"]["nightly_report_schedule"]
    assert schedule["schedule_expression"] == "cron(0 3 * * ? *)"
    assert json.loads(schedule["target"]["input"])["containerOverrides"][0]["command"] == ["shop", "report", "--nightly"]


def test_ledger_cron_expressions(synthesized):
    res = resources(synthesized, LEDGER)["aws_scheduler_schedule"]
    assert res["month_end_schedule"]["schedule_expression"] == "cron(30 1 1 * ? *)"
    assert res["weekday_digest_schedule"]["schedule_expression"] == "cron(0 7 ? * MON-FRI *)"


def test_cache_sizing_and_failover(synthesized):
    prod = resources(synthesized, PROD)["aws_elasticache_replication_group"]["sessions_cache"]
    assert (prod["node_type"], prod["num_cache_clusters"], prod["automatic_failover_enabled"]) == ("cache.t4g.small", 2, True)
    assert prod["transit_encryption_enabled"] is True and prod["at_rest_encryption_enabled"] == "true"
    preview = resources(synthesized, PREVIEW)["aws_elasticache_replication_group"]["sessions_cache"]
    assert (preview["num_cache_clusters"], preview["automatic_failover_enabled"]) == (1, False)
    assert resources(synthesized, LEDGER)["aws_elasticache_replication_group"]["rates_cache"]["node_type"] == "cache.t4g.medium"


def test_database_by_type(synthesized):
    prod = resources(synthesized, PROD)["aws_db_instance"]["orders"]
    assert prod["multi_az"] and prod["deletion_protection"] and prod["backup_retention_period"] == 14
    assert prod["final_snapshot_identifier"] == "shop-prod-orders-final" and prod["skip_final_snapshot"] is False
    assert prod["manage_master_user_password"] and prod["storage_encrypted"] and not prod["publicly_accessible"]
    preview = resources(synthesized, PREVIEW)["aws_db_instance"]["orders"]
    assert not preview["multi_az"] and not preview["deletion_protection"] and preview["skip_final_snapshot"]
    params = resources(synthesized, PROD)["aws_db_parameter_group"]["orders_db_parameters"]
    assert params["family"] == "postgres16"
    assert {"name": "rds.force_ssl", "value": "1"} in params["parameter"]


def test_public_bucket_policy_grants_only_get_object(synthesized):
    res = resources(synthesized, PROD)
    assets = json.loads(res["aws_s3_bucket_policy"]["assets_bucket_policy"]["policy"])["Statement"]
    allow = [s for s in assets if s["Effect"] == "Allow"]
    assert allow == [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                      "Resource": "${aws_s3_bucket.assets_bucket.arn}/*"}]
    receipts = json.loads(res["aws_s3_bucket_policy"]["receipts_bucket_policy"]["policy"])["Statement"]
    assert [s["Effect"] for s in receipts] == ["Deny"]
    block = res["aws_s3_bucket_public_access_block"]["receipts_bucket_public_access"]
    assert all(block[k] for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))


def test_domain_https_and_redirect(synthesized):
    res = resources(synthesized, PROD)
    assert res["aws_lb_listener"]["public_https_listener"]["ssl_policy"].startswith("ELBSecurityPolicy-TLS13-1-2")
    assert res["aws_lb_listener"]["public_http_listener"]["default_action"][0]["type"] == "redirect"
    assert res["aws_route53_record"]["domain_record"]["name"] == "shop.example.com"
    outputs = synthesized[PROD]["json"]["output"]
    assert outputs["url"]["value"] == "https://shop.example.com"
    assert outputs["service_api_url"]["value"] == "https://shop.example.com/api"


def test_public_routes_by_path(synthesized):
    rules = resources(synthesized, PROD)["aws_lb_listener_rule"]
    api = rules["public_route_api_api"]
    assert api["condition"][0]["path_pattern"]["values"] == ["/api", "/api/*"]


def test_two_synths_are_identical(synthesized, tmp_path):
    from gen.model.environments import resolve
    from gen.synth import STACK_FILE, STACKS, synth_environments
    from gen.model.validate import load_app

    env = resolve(load_app(EXAMPLES / "shop.json"), "prod")
    synth_environments([env], tmp_path / "out")
    assert (tmp_path / "out" / STACKS / env.stack_name / STACK_FILE).read_text("utf-8") == synthesized[PROD]["text"]


def test_development_has_one_nat_shared_by_both_private_subnets(tmp_path):
    from gen.model.environments import resolve
    from gen.synth import STACK_FILE, STACKS, synth_environments
    from gen.model.validate import load_app

    raw = json.loads((EXAMPLES / "shop.json").read_text("utf-8"))
    raw["environments"]["dev"] = {"type": "development", "cloud": "aws", "region": "eu-west-1",
                                  "account": "444444444444", "network": {"cidr": "10.30.0.0/24"}}
    model = tmp_path / "shop-dev.json"
    model.write_text(json.dumps(raw), "utf-8")
    env = resolve(load_app(model), "dev")
    synth_environments([env], tmp_path / "out")
    stack = json.loads((tmp_path / "out" / STACKS / env.stack_name / STACK_FILE).read_text("utf-8"))
    res = stack["resource"]
    assert len(res["aws_nat_gateway"]) == 1
    assert sorted(res["aws_route_table"]) == ["route_table_private", "route_table_public"]
    assert {a["route_table_id"] for n, a in res["aws_route_table_association"].items() if "private" in n} == {
        "${aws_route_table.route_table_private.id}"}
    assert sorted(s["cidr_block"] for s in res["aws_subnet"].values()) == [
        "10.30.0.0/26", "10.30.0.128/26", "10.30.0.192/26", "10.30.0.64/26"]
    assert "aws_flow_log" not in res and "aws_lb" in res
    outputs = stack["output"]
    assert outputs["url"]["value"] == "http://${aws_lb.public_load_balancer.dns_name}"  # no domain: HTTP
    assert set(res["aws_lb_listener"]) == {"public_http_listener", "internal_http_listener"}
    assert all(not b.get("lifecycle", {}).get("prevent_destroy") for b in res["aws_db_instance"].values())
