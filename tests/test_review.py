"""gen review: real Terraform plans, plans for gen's own stacks, and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gen.cli import main
from gen.review.render import render
from gen.review.plan import ACTIONS, check_plan, review_plan

HERE = Path(__file__).resolve().parent
REAL_PLANS = HERE / "fixtures" / "plans"  # public plans, copied in with their sources (SOURCES)
OWN_PLANS = HERE / "plans"
REPO = HERE.parent

# Files named *-INVALID.* are real files that are not valid plans: gen must refuse them.
INVALID_PLANS = sorted(p for p in REAL_PLANS.iterdir() if "-INVALID." in p.name)
VALID_REAL_PLANS = sorted(p for p in REAL_PLANS.glob("*.json") if p not in INVALID_PLANS)
ALL_PLANS = VALID_REAL_PLANS + sorted(OWN_PLANS.glob("*.json"))
FORMATS = ("text", "markdown", "json")


def raw_plan(path):
    """The file as JSON, decoded by Python's own detection (UTF-8, -16, -32, with or without a BOM)."""
    return json.loads(path.read_bytes())


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def review_json(path, *extra):
    result = run("review", path, "--format", "json", *extra)
    assert result.exit_code in (0, 3), result.output
    return json.loads(result.stdout), result.exit_code


def by_address(report, address):
    [resource] = [r for r in report["resources"] if r["address"] == address]
    return resource


def risk_classes(resource):
    return sorted(r["class"] for r in resource["risks"])


def independent_counts(plan: dict) -> dict:
    """Counts per action straight from the raw file, without gen's code."""
    counts = dict.fromkeys(ACTIONS, 0)
    for change in plan.get("resource_changes") or []:
        actions = change["change"]["actions"]
        if len(actions) == 2 and "create" in actions and ("delete" in actions or "forget" in actions):
            counts["replace"] += 1
        else:
            assert len(actions) == 1, actions
            counts[actions[0]] += 1
    return counts


# -- every fixture ------------------------------------------------------------------------


def test_the_real_fixtures_are_there():
    # A missing fixture folder must fail loudly, not parametrize into nothing.
    assert len(VALID_REAL_PLANS) >= 90 and len(INVALID_PLANS) >= 5
    versions = {raw_plan(p)["format_version"] for p in VALID_REAL_PLANS}
    assert {"0.1", "0.2", "1.0", "1.1", "1.2"} <= versions


def test_every_public_fixture_names_its_source_and_licence():
    rows = [line.split("\t") for line in (REAL_PLANS / "SOURCES").read_text().splitlines()
            if line and not line.startswith("#")]
    named = [row[0] for row in rows]
    assert len(named) == len(set(named))
    assert set(named) == {p.name for p in REAL_PLANS.iterdir() if p.name != "SOURCES"}
    for name, repository, path, commit, licence in rows:
        assert "/" in repository and path and commit, name
        text = licence.split("(")[1].rstrip(")")
        assert (HERE / "fixtures" / "licences" / text).is_file(), (name, licence)


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: p.name)
def test_every_plan_is_reviewed_in_every_format_and_counts_match_the_file(path):
    plan = raw_plan(path)
    report, status = review_json(path)
    assert report["summary"] == independent_counts(plan)
    assert sum(report["summary"].values()) == len(plan.get("resource_changes") or [])
    assert status == (3 if report["approval"]["required"] else 0)
    for fmt in ("text", "markdown"):
        result = run("review", path, "--format", fmt)
        assert result.exit_code == status
        assert result.stdout.strip() and "Traceback" not in result.output


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: p.name)
def test_output_is_deterministic_and_names_no_local_path(path):
    first = [run("review", path, "--format", fmt).stdout for fmt in FORMATS]
    second = [run("review", path, "--format", fmt).stdout for fmt in FORMATS]
    assert first == second
    for text in first:
        assert str(REPO) not in text and str(REAL_PLANS) not in text


# -- what the real plans show -------------------------------------------------------------


def test_replace_paths_are_marked_as_forcing_the_replacement():
    report, _ = review_json(REAL_PLANS / "terraform-show-json-requires-replace.json")
    resource = by_address(report, "test_instance.test")
    assert resource["action"] == "replace"
    assert resource["replace_paths"] == ["ami"]
    assert resource["reason"] == "replaced because some changed attributes cannot be updated in place"
    changes = {c["path"]: c for c in resource["changes"]}
    assert changes["ami"] == {"path": "ami", "before": "bar", "after": "force-replace", "forces_replacement": True}
    assert changes["id"]["after"] == "(known after apply)" and not changes["id"]["forces_replacement"]
    text = run("review", REAL_PLANS / "terraform-show-json-requires-replace.json").stdout
    assert 'ami: "bar" → "force-replace"  (forces replacement)' in text


def test_action_reason_is_said_in_words():
    report, _ = review_json(REAL_PLANS / "tfjson-action_reason.json")
    resource = by_address(report, "null_resource.example")
    assert resource["reason_code"] == "replace_because_tainted"
    assert "tainted" in resource["reason"] and resource["reason"] != resource["reason_code"]


def test_moved_and_imported_resources_are_called_out():
    report, _ = review_json(REAL_PLANS / "tfjson-moved_block.json")
    moved = by_address(report, "random_id.test2")
    assert moved["action"] == "no-op" and moved["previous_address"] == "random_id.test"
    assert "moved from random_id.test" in run("review", REAL_PLANS / "tfjson-moved_block.json").stdout

    report, _ = review_json(REAL_PLANS / "tfjson-identity.json")
    assert by_address(report, "corner_user_identity.user")["importing"] is True
    assert "imported: 1" in run("review", REAL_PLANS / "tfjson-identity.json").stdout


def test_drift_is_a_plan_risk_but_not_a_reason_to_approve():
    report, status = review_json(REAL_PLANS / "terraform-show-json-drift.json")
    assert [r["class"] for r in report["risks"]] == ["drift"]
    assert [d["address"] for d in report["drift"]] == ["test_instance.should_refresh"]
    assert report["drift"][0]["changes"] == [
        {"path": "ami", "before": "refresh-me", "after": "refreshed", "forces_replacement": False}
    ]
    assert status == 0 and not report["approval"]["required"]


def test_an_errored_plan_is_reported_and_needs_approval():
    path = REAL_PLANS / "terraform-show-json-plan-error.json"
    report, status = review_json(path)
    assert report["errored"] is True and report["complete"] is False
    assert status == 3 and "errored" in report["approval"]["reasons"][0]
    assert "ERRORED" in run("review", path).stdout


def test_unknown_values_show_as_known_after_apply():
    report, _ = review_json(REAL_PLANS / "terraform-show-json-unknown-output.json")
    outputs = {o["name"]: o for o in report["outputs"]}
    assert outputs["bar"]["after"] == ["hello", "(known after apply)", "world"]
    assert outputs["baz"]["after"] == {"greeting": "hello", "subject": "world", "time": "(known after apply)"}
    text = run("review", REAL_PLANS / "terraform-show-json-unknown-output.json").stdout
    assert 'bar = ["hello", (known after apply), "world"]' in text


def test_a_read_is_listed_but_changes_nothing():
    report, status = review_json(REAL_PLANS / "tfjson-basic.json")
    assert by_address(report, "data.null_data_source.baz")["action"] == "read"
    assert report["summary"]["read"] == 1 and status == 0


# -- sensitive values ---------------------------------------------------------------------


def outputs_in_every_format(path):
    return {fmt: run("review", path, "--format", fmt).output for fmt in FORMATS}


def test_terraform_sensitive_fixture_never_shows_the_value():
    path = REAL_PLANS / "terraform-show-json-sensitive-values.json"
    for fmt, text in outputs_in_every_format(path).items():
        assert "boop" not in text, fmt
        assert "(sensitive)" in text, fmt


@pytest.mark.parametrize("name", ["tfjson-110_sensitive_values.json", "tfjson-basic.json", "tfjson-has_changes.json"])
def test_sensitive_outputs_show_as_sensitive(name):
    # 0.2 marks it in output_changes; 0.1 only in planned_values and configuration.
    report, _ = review_json(REAL_PLANS / name)
    foo = {o["name"]: o for o in report["outputs"]}["foo"]
    assert foo["sensitive"] is True and foo["after"] == "(sensitive)"
    for fmt, text in outputs_in_every_format(REAL_PLANS / name).items():
        assert "foo = (sensitive)" in text or "<code>foo</code> | create | — | <code>(sensitive)</code>" in text or fmt == "json"


SECRETS = ["0ld-S3cret-Pa55word", "n3w-S3cret-Pa55word", "sk_live_51Hx9SECRETSECRET", "sk_live_old_0000", "dr1ft-S3cret-value"]


def test_a_sensitive_password_change_appears_in_no_format():
    path = OWN_PLANS / "sensitive-password.json"
    raw = path.read_text()
    assert all(secret in raw for secret in SECRETS)  # the fixture really holds them
    for fmt, text in outputs_in_every_format(path).items():
        for secret in SECRETS:
            assert secret not in text, (fmt, secret)
    report, _ = review_json(path)
    password = {c["path"]: c for c in by_address(report, "aws_db_instance.orders")["changes"]}["password"]
    assert password["before"] == password["after"] == "(sensitive)"
    task = by_address(report, "aws_ecs_task_definition.api")["changes"]
    assert {"path": "container_definitions[0].environment[1].value", "before": "info", "after": "debug",
            "forces_replacement": True} in task
    assert report["drift"][0]["changes"][0]["before"] == "(sensitive)"
    outputs = {o["name"]: o for o in report["outputs"]}
    assert outputs["db_password"]["before"] == outputs["db_password"]["after"] == "(sensitive)"
    assert outputs["stripe"]["after"] == {"key": "(sensitive)", "mode": "live"}
    assert outputs["db_url"]["after"] == "postgres://shop@orders-2:5432/orders"


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text("abc", max_size=3))
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text("xyz", min_size=1, max_size=2), inner, max_size=3)),
    max_leaves=8,
)


@st.composite
def value_with_secret(draw):
    """A nested value with the secret at some leaf, and the mask that marks that leaf."""
    value = draw(json_value)
    path = []
    node = value
    while isinstance(node, (dict, list)) and node and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(node) if isinstance(node, dict) else list(range(len(node)))))
        path.append(key)
        node = node[key]
    secret = "TOPSECRET-" + draw(st.text("0123456789", min_size=4, max_size=4))
    mask: object = True
    for key in reversed(path):
        mask = {key: mask} if isinstance(key, str) else [False] * key + [mask]
    if not path:
        return secret, secret, mask
    target = value
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = secret
    return value, secret, mask


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value_with_secret(), json_value, st.sampled_from(["update", "replace", "create"]))
def test_no_marked_value_is_ever_printed(secret_value, other, action):
    value, secret, mask = secret_value
    actions = {"update": ["update"], "replace": ["create", "delete"], "create": ["create"]}[action]
    plan = {
        "format_version": "1.2",
        "resource_changes": [{
            "address": "aws_db_instance.x", "type": "aws_db_instance", "mode": "managed",
            "change": {"actions": actions, "before": None if action == "create" else {"a": other},
                       "after": {"a": value, "b": other}, "before_sensitive": False,
                       "after_sensitive": {"a": mask}, "after_unknown": {}},
        }],
        "resource_drift": [{
            "address": "aws_db_instance.x", "type": "aws_db_instance",
            "change": {"actions": ["update"], "before": {"a": value}, "after": {"a": other},
                       "before_sensitive": {"a": mask}, "after_sensitive": {}},
        }],
        "output_changes": {"o": {"actions": ["create"], "before": None, "after": value,
                                 "before_sensitive": False, "after_sensitive": mask}},
    }
    report = review_plan(plan)
    for fmt in FORMATS:
        assert secret not in render(report, fmt)


# -- plans for gen's stacks ---------------------------------------------------------------


def test_a_replaced_database_is_data_loss():
    report, status = review_json(OWN_PLANS / "replace-database.json")
    db = by_address(report, "aws_db_instance.orders")
    assert db["action"] == "replace" and risk_classes(db) == ["data-loss"]
    assert {"path": "engine", "before": "postgres", "after": "mysql", "forces_replacement": True} in db["changes"]
    assert risk_classes(by_address(report, "aws_ecs_service.api")) == []
    assert status == 3
    assert report["approval"]["reasons"] == ["data-loss: aws_db_instance.orders replaces a database: the new one starts empty"]


def test_a_deleted_bucket_is_data_loss_on_aws_and_google():
    report, status = review_json(OWN_PLANS / "delete-bucket.json")
    assert risk_classes(by_address(report, "aws_s3_bucket.receipts")) == ["data-loss"]
    assert risk_classes(by_address(report, "google_storage_bucket.receipts")) == ["data-loss"]
    assert risk_classes(by_address(report, "aws_s3_bucket_versioning.receipts")) == []
    assert by_address(report, "aws_s3_bucket.receipts")["reason"] == "deleted because its configuration was removed"
    assert status == 3


def test_an_iam_policy_change_is_security_and_shows_what_the_policy_now_allows():
    report, status = review_json(OWN_PLANS / "iam-policy.json")
    policy = by_address(report, "aws_iam_role_policy.api")
    assert risk_classes(policy) == ["security"]
    assert policy["changes"] == [{
        "path": "policy.Statement[0].Action",
        "before": ["s3:GetObject", "s3:PutObject"],
        "after": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        "forces_replacement": False,
    }]
    assert status == 3


def test_a_security_group_opened_to_the_world_is_exposure_only_for_what_is_new():
    report, status = review_json(OWN_PLANS / "open-security-group.json")
    web = by_address(report, "aws_security_group.web")
    exposures = [r["detail"] for r in web["risks"] if r["class"] == "exposure"]
    assert exposures == ["opens ingress from 0.0.0.0/0 on tcp 22"]  # 443 was open already
    rule = by_address(report, "aws_vpc_security_group_ingress_rule.orders_db")
    assert risk_classes(rule) == ["exposure", "security"]
    egress = by_address(report, "aws_vpc_security_group_egress_rule.web_out")
    assert risk_classes(egress) == ["security"]  # egress to the world exposes nothing
    assert status == 3


def test_a_public_bucket_binding_is_exposure():
    report, status = review_json(OWN_PLANS / "public-bucket-binding.json")
    public = by_address(report, "google_storage_bucket_iam_member.assets_public")
    assert {"class": "exposure", "detail": "grants roles/storage.objectViewer to allUsers"} in public["risks"]
    worker = by_address(report, "google_storage_bucket_iam_member.receipts_worker")
    assert risk_classes(worker) == ["security"]
    assert status == 3


def test_google_firewall_and_cloud_sql_replacement():
    report, _ = review_json(OWN_PLANS / "google-replace-and-firewall.json")
    firewall = by_address(report, "google_compute_firewall.allow_web")
    assert {"class": "exposure", "detail": "opens ingress from 0.0.0.0/0 on tcp 443"} in firewall["risks"]
    sql = by_address(report, "google_sql_database_instance.orders")
    assert sql["action"] == "replace" and risk_classes(sql) == ["data-loss"]


def test_drift_moves_and_imports_of_gen_stacks():
    report, status = review_json(OWN_PLANS / "drift.json")
    assert report["risks"][0]["class"] == "drift" and status == 0

    report, status = review_json(OWN_PLANS / "moved.json")
    assert by_address(report, "aws_s3_bucket.receipts")["previous_address"] == "aws_s3_bucket.receipt"
    assert report["summary"]["no-op"] == 1 and report["summary"]["update"] == 1 and status == 0

    report, status = review_json(OWN_PLANS / "import.json")
    assets = by_address(report, "aws_s3_bucket.assets")
    assert assets["importing"] is True and assets["import_id"] == "shop-prod-assets"
    assert "imported from id shop-prod-assets" in run("review", OWN_PLANS / "import.json").stdout


def test_access_attributes_are_security_but_a_tag_named_like_one_is_not():
    plan = load("safe-update.json")
    change = plan["resource_changes"][0]["change"]  # aws_ecs_service.api
    change["before"] = dict(change["before"], tags={"role": "web"}, iam_role="a")
    change["after"] = dict(change["after"], tags={"role": "api"}, iam_role="a")
    assert review_plan(plan).approval.required is False
    change["after"] = dict(change["after"], security_groups=["sg-1"])
    api = review_plan(plan).resources[1]
    assert [(r.kind, r.detail) for r in api.risks] == [("security", "changes access settings: security_groups")]


def test_a_riskless_plan_needs_no_approval():
    report, status = review_json(OWN_PLANS / "safe-update.json")
    assert status == 0 and report["approval"] == {"required": False, "reasons": []}
    assert report["summary"] == {"create": 1, "update": 1, "replace": 0, "delete": 0, "read": 1, "no-op": 1, "forget": 0}


def test_an_incomplete_plan_needs_approval():
    report, status = review_json(OWN_PLANS / "incomplete.json")
    assert status == 3 and report["complete"] is False and report["errored"] is False
    assert report["approval"]["reasons"] == [
        "the plan is incomplete (1 change deferred): more changes will follow after this one is applied"
    ]


def test_a_newer_plan_format_is_reviewed_with_a_note():
    report, status = review_json(OWN_PLANS / "newer-format.json")
    assert report["summary"]["update"] == 1 and status == 0
    assert report["notes"] and "1.3" in report["notes"][0]
    assert "Note: plan format 1.3" in run("review", OWN_PLANS / "newer-format.json").stdout


# -- approval by environment --------------------------------------------------------------


def load(name):
    plan = json.loads((OWN_PLANS / name).read_text())
    check_plan(plan, name)
    return plan


def test_a_manual_environment_needs_approval_for_any_change():
    manual = SimpleNamespace(name="prod", approval="manual")
    report = review_plan(load("safe-update.json"), manual)
    assert report.approval.required
    assert report.approval.reasons == ["environment prod requires manual approval of every change"]
    assert review_plan(load("safe-update.json"), SimpleNamespace(name="staging", approval="auto")).approval.required is False


def test_a_manual_environment_does_not_need_approval_when_nothing_changes():
    report = review_plan(load("no-changes.json"), SimpleNamespace(name="prod", approval="manual"))
    assert report.approval.required is False


def test_a_manual_environment_adds_its_reason_after_the_risks():
    report = review_plan(load("replace-database.json"), SimpleNamespace(name="pr:42", approval="manual"))
    assert report.approval.reasons[-1] == "environment pr:42 requires manual approval of every change"
    assert report.approval.reasons[0].startswith("data-loss: ")


def test_app_and_env_go_together():
    result = run("review", OWN_PLANS / "safe-update.json", "--env", "prod")
    assert result.exit_code == 2 and "--app and --env go together" in result.stderr


def test_app_env_applies_the_model_environments_approval():
    # examples/shop.json: prod is a production environment (manual), staging development (auto).
    model = REPO / "examples" / "shop.json"
    result = run("review", OWN_PLANS / "safe-update.json", "--app", model, "--env", "prod")
    assert result.exit_code == 3 and "environment prod requires manual approval" in result.stdout
    result = run("review", OWN_PLANS / "safe-update.json", "--app", model, "--env", "staging")
    assert result.exit_code == 0


# -- formats ------------------------------------------------------------------------------


def test_json_has_exactly_the_documented_shape():
    report, _ = review_json(OWN_PLANS / "replace-database.json")
    assert set(report) == {
        "format_version", "plan_format_version", "terraform_version", "summary", "resources", "drift",
        "outputs", "risks", "approval", "errored", "complete", "notes",
    }
    assert report["format_version"] == "1.1" and report["plan_format_version"] == "1.2"
    assert list(report["summary"]) == sorted(ACTIONS)  # keys sorted, all actions present
    for resource in report["resources"]:
        assert set(resource) == {
            "address", "type", "mode", "action", "reason", "reason_code", "risks", "changes", "replace_paths",
            "previous_address", "importing", "import_id", "deposed",
        }
        for change in resource["changes"]:
            assert set(change) == {"path", "before", "after", "forces_replacement"}
        for risk in resource["risks"]:
            assert set(risk) == {"class", "detail"}
    assert set(report["approval"]) == {"required", "reasons"}


def test_markdown_is_a_pull_request_comment():
    text = run("review", OWN_PLANS / "replace-database.json", "--format", "markdown").stdout
    lines = text.splitlines()
    assert lines[0].startswith("**⛔ Approval required**") and "1 to replace" in lines[0] and "data-loss 1" in lines[0]
    assert "| Action | Resource | Risks |" in lines
    assert "| replace | <code>aws_db_instance.orders</code> | data-loss |" in lines
    assert text.count("<details>") == text.count("</details>") == 2
    assert "<summary>replace <code>aws_db_instance.orders</code></summary>" in lines
    safe = run("review", OWN_PLANS / "safe-update.json", "--format", "markdown").stdout
    assert safe.splitlines()[0].startswith("**✅ No approval needed**")


def test_markdown_escapes_what_would_break_a_table():
    plan = load("safe-update.json")
    change = plan["resource_changes"][0]["change"]
    change["after"] = dict(change["after"], name="a|b</code><script>")
    text = render(review_plan(plan), "markdown")
    assert "a&#124;b&lt;/code&gt;&lt;script&gt;" in text and "<script>" not in text


def test_text_lists_the_reasons_for_approval_last():
    text = run("review", OWN_PLANS / "delete-bucket.json").stdout
    assert text.splitlines()[0] == "Plan review: approval required"
    assert text.rstrip().splitlines()[-2:] == [
        "  - data-loss: aws_s3_bucket.receipts deletes a bucket: its data is lost",
        "  - data-loss: google_storage_bucket.receipts deletes a bucket: its data is lost",
    ]


def test_the_plan_can_come_from_standard_input():
    result = run("review", "-", "--format", "json", input=(OWN_PLANS / "delete-bucket.json").read_text())
    assert result.exit_code == 3 and json.loads(result.stdout)["summary"]["delete"] == 3


# -- bad input ----------------------------------------------------------------------------


BAD_PLANS = {
    "state.json": ('{"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {}}}',
                   "a Terraform state, not a Terraform plan"),
    "stack.json": ('{"//": {}, "resource": {"aws_s3_bucket": {"b": {}}}}', "not a Terraform plan"),
    "list.json": ("[1, 2]", "not a Terraform plan"),
    "empty.json": ("  \n", "empty file"),
    "broken.json": ('{"format_version": "1.2",', "not valid JSON"),
    "version.json": ('{"format_version": 1, "resource_changes": []}', "unrecognized plan format_version"),
    "changes.json": ('{"format_version": "1.2", "resource_changes": {}}', "resource_changes is not a list"),
    "entry.json": ('{"format_version": "1.2", "resource_changes": [{"address": "a.b"}]}', "change is not an object"),
    "actions.json": ('{"format_version": "1.2", "resource_changes": [{"address": "a.b", "change": {"actions": ["explode"]}}]}',
                     'unrecognized actions ["explode"]'),
    "noaddress.json": ('{"format_version": "1.2", "resource_changes": [{"change": {"actions": ["create"]}}]}', "has no address"),
    "outputs.json": ('{"format_version": "1.2", "planned_values": {}, "output_changes": []}', "output_changes is not an object"),
    "replace.json": ('{"format_version": "1.2", "resource_changes": [{"address": "a.b", "change": {"actions": ["update"], "replace_paths": "x"}}]}',
                     "replace_paths is not a list of paths"),
}


@pytest.mark.parametrize("name", sorted(BAD_PLANS))
def test_bad_input_is_one_line_naming_the_file_and_exit_2(tmp_path, name):
    content, message = BAD_PLANS[name]
    path = tmp_path / name
    path.write_text(content)
    result = run("review", path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"gen: {path}") and message in result.stderr


def test_missing_binary_and_folder_inputs_exit_2(tmp_path):
    missing = run("review", tmp_path / "nope.json")
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    binary = tmp_path / "tfplan"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00binary plan")
    result = run("review", binary)
    assert result.exit_code == 2 and "terraform show -json" in result.stderr
    folder = run("review", tmp_path)
    assert folder.exit_code == 2 and "is a folder" in folder.stderr


def test_a_destroyed_local_volume_is_data_loss(tmp_path):
    """`terraform destroy` of a local environment deletes its stand-ins' named volumes."""
    plan = {"format_version": "1.2", "terraform_version": "1.15.5", "resource_changes": [
        {"address": "docker_volume.postgres_16", "mode": "managed", "type": "docker_volume", "name": "postgres_16",
         "provider_name": "registry.terraform.io/kreuzwerker/docker",
         "change": {"actions": ["delete"], "before": {"name": "shop-local-postgres-16"}, "after": None,
                    "before_sensitive": {}, "after_sensitive": False}},
        {"address": "docker_container.postgres_16", "mode": "managed", "type": "docker_container", "name": "postgres_16",
         "provider_name": "registry.terraform.io/kreuzwerker/docker",
         "change": {"actions": ["delete"], "before": {"name": "shop-local-postgres-16"}, "after": None,
                    "before_sensitive": {}, "after_sensitive": False}}]}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), "utf-8")
    report, status = review_json(path)
    assert risk_classes(by_address(report, "docker_volume.postgres_16")) == ["data-loss"]
    assert risk_classes(by_address(report, "docker_container.postgres_16")) == []
    assert status == 3
