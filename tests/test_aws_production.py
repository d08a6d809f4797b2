"""Issue 17 on AWS: what a production review of the stacks found, each asserted on the Terraform JSON.

Every test here failed on the stacks gen wrote before the fix (item numbers of the issue)."""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES, ROOT

PROD, PREVIEW, LEDGER = ("shop", "prod"), ("shop", "pr:1"), ("aws-groups-existing-network", "live")
AWS_CASES = [PROD, PREVIEW, LEDGER]


def resources(synthesized, case) -> dict:
    return synthesized[case]["json"]["resource"]


def containers(res: dict) -> dict[str, dict]:
    return {name.removesuffix("_task"): json.loads(body["container_definitions"])[0]
            for name, body in res["aws_ecs_task_definition"].items()}


def variables(container: dict) -> dict[str, str]:
    return {v["name"]: v["value"] for v in container["environment"]}


@pytest.fixture(scope="module")
def variant(tmp_path_factory) -> dict:
    """shop, changed so one production stack shows what the examples do not: a region opened
    after August 2022, no public service at `/`, a unit hosting a public and an internal
    service, and a worker (ingress none) that only consumes its queue."""
    from gen.model.environments import resolve
    from gen.model.validate import load_app
    from gen.synth import STACK_FILE, STACKS, synth_environments

    raw = json.loads((EXAMPLES / "shop.json").read_text("utf-8"))
    del raw["services"]["web"]
    raw["services"]["admin"] = {"ingress": "internal"}
    raw["services"]["worker"]["ingress"] = "none"
    raw["topics"]["refund-issued"] = {"subscriptions": {"send-refund": {"service": "worker", "path": "/events/refund"}}}
    prod = raw["environments"]["prod"]
    prod["region"] = "ap-south-2"
    prod["process_allocation"] = {"groups": {"front": ["admin", "api"], "jobs": ["worker"], "pdf": ["pdf-renderer"]}}
    for name in ("staging", "prod-eu"):
        del raw["environments"][name]
    tmp = tmp_path_factory.mktemp("variant")
    (tmp / "shop.json").write_text(json.dumps(raw), "utf-8")
    env = resolve(load_app(tmp / "shop.json"), "prod")
    synth_environments([env], tmp / "out")
    return json.loads((tmp / "out" / STACKS / env.stack_name / STACK_FILE).read_text("utf-8"))["resource"]


# 1 -- access logs: the bucket grants the prefixes the load balancers write to --------------

def _log_grants(res: dict) -> dict:
    policy = json.loads(res["aws_s3_bucket_policy"]["access_logs_bucket_policy"]["policy"])
    return next(s for s in policy["Statement"] if s["Sid"] == "LoadBalancerLogs")


@pytest.mark.parametrize("case", [PROD, LEDGER], ids=lambda c: "-".join(c))
def test_every_load_balancer_may_write_its_access_logs(synthesized, case):
    res = resources(synthesized, case)
    account = synthesized[case]["json"]["provider"]["aws"][0]["allowed_account_ids"][0]
    grants = _log_grants(res)["Resource"]
    for name, lb in res["aws_lb"].items():
        logs = lb["access_logs"]
        assert logs["enabled"] and logs["bucket"] == "${aws_s3_bucket.access_logs_bucket.id}"
        assert f"${{aws_s3_bucket.access_logs_bucket.arn}}/{logs['prefix']}/AWSLogs/{account}/*" in grants, name
    assert len(grants) == len(res["aws_lb"])


def test_old_regions_grant_the_elb_account_new_ones_the_log_delivery_principal(synthesized, variant):
    assert _log_grants(resources(synthesized, PROD))["Principal"] == {
        "AWS": "${data.aws_elb_service_account.load_balancer_log_writer.arn}"}
    assert _log_grants(variant)["Principal"] == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}


# 2 -- secrets have a version on the first apply, set for real out of band -------------------

@pytest.mark.parametrize("case", AWS_CASES, ids=lambda c: "-".join(c))
def test_no_secret_value_is_terraforms_so_the_read_only_plan_role_can_refresh_the_stack(synthesized, case):
    """Terraform refreshes a secret version with GetSecretValue, which the CI plan role must not
    have (it is every branch pusher's): a version in the stack would fail every plan after the
    first apply. The secrets are there; their values are set out of band (docs/aws.md)."""
    res = resources(synthesized, case)
    assert res.get("aws_secretsmanager_secret") and "aws_secretsmanager_secret_version" not in res


def test_the_plan_role_may_not_read_secret_values():
    """The other half: gen bootstrap's plan role is denied secret values outright, so a stack
    that needed them to refresh could never pass as planned."""
    stack = json.loads((ROOT / "tests" / "golden" / "bootstrap" / "shop" / "shop-prod-aws-bootstrap.tf.json").read_text())
    denies = [statement for policy in stack["resource"]["aws_iam_role_policy"].values()
              for statement in json.loads(policy["policy"])["Statement"] if statement["Effect"] == "Deny"]
    assert any("secretsmanager:GetSecretValue" in statement.get("Action", []) for statement in denies)


@pytest.mark.parametrize("case", AWS_CASES, ids=lambda c: "-".join(c))
def test_services_start_only_once_their_permissions_and_secret_values_exist(synthesized, case):
    """A task definition names its roles and secrets, not the role policies or the secret
    without depends_on ECS may start the first tasks before IAM grants them the log stream, the
    image and the secrets (ResourceInitializationError); on a first deployment the circuit
    breaker then fails it."""
    res = resources(synthesized, case)
    policies = res["aws_iam_role_policy"]
    for unit, container in containers(res).items():
        needs = {f"aws_iam_role_policy.{unit}_execution_policy"}
        if f"{unit}_task_policy" in policies:
            needs.add(f"aws_iam_role_policy.{unit}_task_policy")
        assert needs <= set(res["aws_ecs_service"][f"{unit}_service"].get("depends_on", [])), unit


def test_group_members_answer_by_name_through_cloud_map_not_route53(synthesized):
    """Route 53 refuses changes to a Cloud Map namespace's zone ("can only be managed through
    AWS Cloud Map"), so a record written there fails the first apply. A group's members get
    their names as Cloud Map services with a CNAME instance pointing at the unit."""
    res = resources(synthesized, LEDGER)
    namespace_zone = "${aws_service_discovery_private_dns_namespace.namespace.hosted_zone}"
    assert not [r for r in res.get("aws_route53_record", {}).values() if r["zone_id"] == namespace_zone]
    services = res["aws_service_discovery_service"]
    aliases = {}
    for name, instance in res["aws_service_discovery_instance"].items():
        service = services[instance["service_id"].removeprefix("${aws_service_discovery_service.").removesuffix(".id}")]
        assert service["dns_config"]["routing_policy"] == "WEIGHTED"
        assert [r["type"] for r in service["dns_config"]["dns_records"]] == ["CNAME"]
        aliases[service["name"]] = instance["attributes"]["AWS_INSTANCE_CNAME"]
    members = {s for body in containers(res).values() for s in variables(body)["SERVICES"].split(",")}
    units = set(containers(res))
    assert aliases and set(aliases) == {m for m in members if m.replace("-", "_") not in units}
    assert all(target.split(".")[0] in {u.replace("_", "-") for u in units} for target in aliases.values())

# 3 -- target groups can be replaced while a listener uses them --------------------------------

@pytest.mark.parametrize("case", AWS_CASES, ids=lambda c: "-".join(c))
def test_target_groups_have_a_name_prefix_and_are_created_before_destroyed(synthesized, case):
    for name, group in resources(synthesized, case)["aws_lb_target_group"].items():
        assert "name" not in group and 1 < len(group["name_prefix"]) <= 6, name
        assert group["lifecycle"]["create_before_destroy"] is True


# 4 -- the app connects as a role of its own, never as the master user ------------------------

@pytest.mark.parametrize("case", AWS_CASES, ids=lambda c: "-".join(c))
def test_no_unit_gets_the_master_secret(synthesized, case):
    text = json.dumps({k: v for k, v in resources(synthesized, case).items()
                       if k in ("aws_ecs_task_definition", "aws_iam_role_policy")})
    assert "master_user_secret" not in text
    for name, container in containers(resources(synthesized, case)).items():
        assert not [v for v in variables(container) if v.endswith("_DATABASE_PASSWORD")], name


def test_units_connect_with_iam_as_their_own_database_user(synthesized):
    res = resources(synthesized, PROD)
    assert variables(containers(res)["api"])["ORDERS_DATABASE_USER"] == "svc_api"
    assert variables(containers(res)["worker"])["ORDERS_DATABASE_USER"] == "svc_worker"
    statements = json.loads(res["aws_iam_role_policy"]["api_task_policy"]["policy"])["Statement"]
    connect = next(s for s in statements if s["Action"] == "rds-db:connect")
    assert connect["Resource"] == [
        "arn:aws:rds-db:us-east-1:222222222222:dbuser:${aws_db_instance.orders.resource_id}/svc_api"]
    assert res["aws_db_instance"]["orders"]["iam_database_authentication_enabled"] is True
    setup = synthesized[PROD]["json"]["output"]["database_orders_setup_sql"]["value"]
    assert "CREATE ROLE svc_api LOGIN IN ROLE rds_iam, orders_owner;" in setup
    assert "CREATE ROLE svc_worker LOGIN IN ROLE rds_iam, orders_owner;" in setup
    assert "GRANT USAGE, CREATE ON SCHEMA public TO orders_owner;" in setup


# 5 -- service calls: exactly the declared pairs ------------------------------------------------

def test_the_caller_gets_the_callee_url_and_a_rule_to_its_port_only(synthesized):
    res = resources(synthesized, PROD)
    assert variables(containers(res)["api"])["PDF_RENDERER_URL"] == "http://pdf-renderer.prod.shop.local:3000"
    assert "PDF_RENDERER_URL" not in variables(containers(res)["worker"])
    task_groups = {f"${{aws_security_group.{u}_security_group.id}}" for u in ("web", "api", "worker", "pdf_renderer")}
    between_tasks = [(r["security_group_id"], r["referenced_security_group_id"], r["from_port"], r["to_port"])
                     for r in res["aws_vpc_security_group_ingress_rule"].values()
                     if r["security_group_id"] in task_groups and r.get("referenced_security_group_id") in task_groups]
    assert between_tasks == [("${aws_security_group.pdf_renderer_security_group.id}",
                              "${aws_security_group.api_security_group.id}", 3000, 3000)]


@pytest.mark.parametrize("case", AWS_CASES, ids=lambda c: "-".join(c))
def test_no_task_reaches_the_internal_load_balancer(synthesized, case):
    res = resources(synthesized, case)
    assert not [r for r in res["aws_vpc_security_group_ingress_rule"].values()
                if r["security_group_id"] == "${aws_security_group.internal_load_balancer_security_group.id}"]


# 10 -- queue consumers scale on their backlog --------------------------------------------------

def _backlog_metric(policy: dict) -> dict:
    return policy["target_tracking_scaling_policy_configuration"]["customized_metric_specification"]


def test_queue_consumers_scale_on_backlog(synthesized, variant):
    policies = resources(synthesized, PROD)["aws_appautoscaling_policy"]
    metric = _backlog_metric(policies["worker_scaling_backlog"])
    assert metric["metric_name"] == "ApproximateNumberOfMessagesVisible" and metric["namespace"] == "AWS/SQS"
    assert metric["dimensions"] == [{"name": "QueueName", "value": "${aws_sqs_queue.order_created_send_receipt_queue.name}"}]
    assert "api_scaling_backlog" not in policies
    # a worker that serves no HTTP scales on its backlog only, not on CPU: here two queues, summed
    assert "jobs_scaling_cpu" not in variant["aws_appautoscaling_policy"]
    metrics = _backlog_metric(variant["aws_appautoscaling_policy"]["jobs_scaling_backlog"])["metrics"]
    assert [m["metric_stat"]["metric"]["dimensions"][0]["value"] for m in metrics[:2]] == [
        "${aws_sqs_queue.order_created_send_receipt_queue.name}", "${aws_sqs_queue.refund_issued_send_refund_queue.name}"]
    assert metrics[2] == {"expression": "q0 + q1", "id": "backlog", "label": "messages waiting", "return_data": True}


# 12 -- the public load balancer forwards only the public services' paths -----------------------

def test_public_load_balancer_forwards_only_public_paths_with_a_404_default(variant):
    listener = variant["aws_lb_listener"]["public_https_listener"]
    assert listener["default_action"][0]["type"] == "fixed-response"
    assert listener["default_action"][0]["fixed_response"]["status_code"] == "404"
    public_rules = [r for r in variant["aws_lb_listener_rule"].values()
                    if r["listener_arn"] == "${aws_lb_listener.public_https_listener.arn}"]
    assert [r["condition"][0]["path_pattern"]["values"] for r in public_rules] == [["/api", "/api/*"]]


# 14 -- production alarms, notifying alerts.email -----------------------------------------------

def test_production_alarms_notify_the_alert_addresses(synthesized):
    res = resources(synthesized, PROD)
    alarms = res["aws_cloudwatch_metric_alarm"]
    assert all(a["alarm_actions"] == ["${aws_sns_topic.alarms_topic.arn}"] for a in alarms.values())
    subscriptions = [s for s in res["aws_sns_topic_subscription"].values() if s["protocol"] == "email"]
    assert [(s["topic_arn"], s["endpoint"]) for s in subscriptions] == [
        ("${aws_sns_topic.alarms_topic.arn}", "oncall@shop.example.com")]
    watched = {(a.get("namespace"), a.get("metric_name")) for a in alarms.values()}
    assert {("AWS/SQS", "ApproximateNumberOfMessagesVisible"), ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"),
            ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"), ("AWS/RDS", "FreeStorageSpace"),
            ("AWS/RDS", "CPUUtilization")} <= watched
    dead = alarms["alarm_dead_letters_order_created_send_receipt"]
    assert dead["dimensions"] == {"QueueName": "${aws_sqs_queue.order_created_send_receipt_dead_letter.name}"}
    below = [a for a in alarms.values() if "metric_query" in a]
    assert sorted(a["metric_query"][1]["metric"]["dimensions"]["ServiceName"] for a in below) == [
        f"${{aws_ecs_service.{u}_service.name}}" for u in ("api", "pdf_renderer", "web", "worker")]


def test_cloudwatch_can_publish_to_the_alarm_topic_and_app_topics_stay_encrypted(synthesized):
    res = resources(synthesized, PROD)
    # the AWS managed SNS key would refuse CloudWatch: the alarm topic has no key
    assert "kms_master_key_id" not in res["aws_sns_topic"]["alarms_topic"]
    assert all(t["kms_master_key_id"] == "alias/aws/sns" for n, t in res["aws_sns_topic"].items() if n != "alarms_topic")
    (statement,) = json.loads(res["aws_sns_topic_policy"]["alarms_topic_policy"]["policy"])["Statement"]
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"} and statement["Action"] == "sns:Publish"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "222222222222"}


def test_no_alarms_outside_production(synthesized):
    assert "aws_cloudwatch_metric_alarm" not in resources(synthesized, PREVIEW)


def test_env_show_lists_the_alarms():
    from click.testing import CliRunner

    from gen.cli import main

    result = CliRunner().invoke(main, ["env", "show", str(EXAMPLES / "shop.json"), "--name", "prod", "--resources", "--json"])
    assert result.exit_code == 0, result.output
    alarms = json.loads(result.output)["resources"]["aws_cloudwatch_metric_alarm"]
    assert "aws_cloudwatch_metric_alarm.alarm_dead_letters_order_created_send_receipt" in alarms
    assert len(alarms) == 9


# 15 -- S3 through a gateway endpoint in created networks ---------------------------------------

def test_created_networks_route_s3_through_a_gateway_endpoint(synthesized):
    for case in (PROD, PREVIEW):
        res = resources(synthesized, case)
        (endpoint,) = res["aws_vpc_endpoint"].values()
        assert endpoint["vpc_endpoint_type"] == "Gateway" and endpoint["service_name"].endswith(".s3")
        assert sorted(endpoint["route_table_ids"]) == sorted(f"${{aws_route_table.{t}.id}}" for t in res["aws_route_table"])
    assert "aws_vpc_endpoint" not in resources(synthesized, LEDGER)  # an existing network is left alone
