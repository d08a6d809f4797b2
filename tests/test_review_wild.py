"""gen review on real plans from public projects (issue 18), and what they taught it.

Every valid plan in tests/fixtures/plans is counted against its own `change.actions`
(tests/test_review.py), searched here for the sensitive literals its masks mark, and held
to the risks a careful reviewer expects of it (RISKS). The files named *-INVALID.* are real
files that are not plans, and must be refused. Sources and licences: tests/fixtures/plans/SOURCES.
"""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path

import pytest

from big_plan import SECRET_PREFIX, big_plan
from test_review import review_json, run
from gen.review.plan import check_plan, review_plan
from gen.review.render import GITHUB_COMMENT_LIMIT, comment_length, render

HERE = Path(__file__).resolve().parent
REAL_PLANS = HERE / "fixtures" / "plans"
OWN_PLANS = HERE / "plans"
INVALID_PLANS = sorted(p for p in REAL_PLANS.iterdir() if "-INVALID." in p.name)
VALID_REAL_PLANS = sorted(p for p in REAL_PLANS.glob("*.json") if p not in INVALID_PLANS)
ALL_PLANS = VALID_REAL_PLANS + sorted(OWN_PLANS.glob("*.json"))
FORMATS = ("text", "markdown", "json")


def by_address(report, address, key="resources"):
    [resource] = [r for r in report[key] if r["address"] == address]
    return resource


def review_of(plan: dict):
    check_plan(plan, "plan.json")
    return review_plan(plan)


# -- sensitive literals, found without gen's code ------------------------------------------


def _marks_something(mask) -> bool:
    if mask is True:
        return True
    if isinstance(mask, dict):
        return any(_marks_something(m) for m in mask.values())
    if isinstance(mask, list):
        return any(_marks_something(m) for m in mask)
    return False


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, str):
        yield value


def _keys(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from _keys(v)


def _sort(value, mask, secret: set, public: set) -> None:
    """Put each string of `value` into `secret` if `mask` marks it, else into `public`.
    A mask that marks something but does not have the value's shape marks all of it."""
    if mask is True:
        secret.update(_leaves(value))
    elif isinstance(mask, dict) and _marks_something(mask):
        if isinstance(value, dict):
            for key, v in value.items():
                _sort(v, mask.get(key), secret, public)
        else:
            secret.update(_leaves(value))
    elif isinstance(mask, list) and _marks_something(mask):
        if isinstance(value, list) and len(value) <= len(mask):
            for v, m in zip(value, mask):
                _sort(v, m, secret, public)
        else:
            secret.update(_leaves(value))
    else:
        public.update(_leaves(value))


def sensitive_literals(plan: dict) -> list[str]:
    """Strings the plan marks sensitive (in resource changes, drift and outputs), leaving
    out those that also appear, whole or within a longer string, where nothing marks them
    (gen may rightly print those) and those under 4 characters."""
    secret, public = set(), set()
    for entry in (plan.get("resource_changes") or []) + (plan.get("resource_drift") or []):
        change = entry["change"]
        for side in ("before", "after"):
            _sort(change.get(side), change.get(f"{side}_sensitive"), secret, public)
            public.update(_keys(change.get(side)))
        public.update(str(entry.get(k)) for k in ("address", "type", "name", "index", "module_address"))
    declared = (plan.get("planned_values") or {}).get("outputs") or {}
    for name, change in (plan.get("output_changes") or {}).items():
        whole = (declared.get(name) or {}).get("sensitive") is True
        for side in ("before", "after"):
            _sort(change.get(side), True if whole else change.get(f"{side}_sensitive"), secret, public)
        public.add(name)
    everything_public = "\n".join(public)
    return sorted(s for s in secret if len(s) >= 4 and s not in everything_public)


def test_the_sensitive_literal_finder_finds_them():
    # Without this, the test below could pass by finding nothing.
    found = {p.name: sensitive_literals(json.loads(p.read_bytes())) for p in ALL_PLANS}
    assert "boop" in found["terraform-show-json-sensitive-values.json"]
    assert {"0ld-S3cret-Pa55word", "n3w-S3cret-Pa55word", "dr1ft-S3cret-value"} <= set(found["sensitive-password.json"])
    assert sum(1 for literals in found.values() if literals) >= 10
    mismatched = {"resource_changes": [{"address": "x.y", "change": {
        "actions": ["update"], "before": [{"k": "old-secret"}], "after": [{"k": "new-secret"}],
        "before_sensitive": {"k": True}, "after_sensitive": {"k": True}}}]}
    assert sensitive_literals(mismatched) == ["new-secret", "old-secret"]


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: p.name)
def test_no_sensitive_literal_appears_in_any_format(path):
    literals = sensitive_literals(json.loads(path.read_bytes()))
    for fmt in FORMATS:
        for max_chars in ([None, "2000"] if fmt == "markdown" else [None]):
            extra = ["--max-chars", max_chars] if max_chars else []
            text = run("review", path, "--format", fmt, *extra).stdout
            leaked = [literal for literal in literals if literal in text]
            assert not leaked, (fmt, max_chars, leaked)


# -- risks a reviewer expects, per plan -----------------------------------------------------

# plan: (exit status, number of resources with each risk class). Each line was checked by
# reading the plan: e.g. regula-azure-nsg-22 has 7 rules open to * / Any / Internet /
# 0.0.0.0/0 (two of them in inline security_rule blocks) and 9 NSG resources; its regula
# test calls validnsg1 and validrule1 valid for port 22, but they are open on 20 and 34.
RISKS = {
    "belalk1-azure-65.json": (3, {"security": 4}),
    "borchero-300-creates.json": (0, {}),
    "borchero-forget.json": (0, {}),
    "borchero-modify.json": (0, {}),
    "casibbald-gcp-63.json": (3, {"exposure": 3, "security": 9}),
    "checkov-azure-extra-ref.json": (3, {"security": 3}),
    "checkov-change-keys.json": (3, {"security": 2}),
    "checkov-deleted-resources.json": (3, {"data-loss": 1}),
    "checkov-filtered-rule-fail.json": (0, {}),
    "checkov-for-each.json": (3, {"exposure": 3, "security": 3}),
    "checkov-gcp-default-sa.json": (0, {}),
    "checkov-gha-oidc.json": (3, {"security": 5}),
    "checkov-iam-policies.json": (3, {"security": 7}),
    "checkov-mac-utf8.json": (0, {}),
    "checkov-modules-edges.json": (3, {"security": 2}),
    "checkov-multiple-providers-empty.json": (0, {}),
    "checkov-nested-modules.json": (3, {"exposure": 1, "security": 5}),
    "checkov-win-utf8.json": (0, {}),
    "conftest-gke-show.json": (0, {}),
    "driftctl-output-plan.json": (0, {}),
    "infracost-attachment-after-deploy.json": (0, {}),
    "infracost-azure-express-route.json": (0, {}),
    "infracost-azure-firewall.json": (3, {"security": 5}),
    "infracost-plan-with-target.json": (0, {}),
    "infracost-sync-usage-tf014.json": (0, {}),
    "infracost-tf012.json": (3, {"security": 3}),
    "ovsds-sensitive-replace.json": (0, {}),
    "regula-azure-nsg-22.json": (3, {"exposure": 7, "security": 9}),
    "regula-azure-sql-firewall.json": (3, {"exposure": 4, "security": 5}),
    "regula-azure-storage.json": (0, {}),
    "regula-issue355-drift.json": (0, {}),
    "regula-s3-bucketpolicy.json": (3, {"exposure": 4, "security": 3}),
    "snykcli-destroy.json": (3, {"data-loss": 1, "security": 5}),
    "snykcli-update.json": (0, {}),
    "snykpe-resource-changes.json": (3, {"data-loss": 1, "exposure": 1, "security": 1}),
    "snykpe-sensitive-empty-string.json": (0, {}),
    "snykpe-sensitive.json": (0, {}),
    "strata-danger.json": (3, {"data-loss": 1, "security": 3}),
    "strata-high-risk.json": (3, {"data-loss": 2, "security": 8}),
    "strata-multi-provider.json": (0, {}),
    "strata-output-refinements.json": (0, {}),
    "strata-replacements.json": (3, {"security": 6}),
    "terraform-show-json-basic-create.json": (0, {}),
    "terraform-show-json-basic-delete.json": (0, {}),
    "terraform-show-json-basic-update.json": (0, {}),
    "terraform-show-json-drift.json": (0, {}),
    "terraform-show-json-moved-drift.json": (0, {}),
    "terraform-show-json-moved.json": (0, {}),
    "terraform-show-json-multi-resource-update.json": (0, {}),
    "terraform-show-json-plan-error.json": (3, {}),
    "terraform-show-json-requires-replace.json": (0, {}),
    "terraform-show-json-sensitive-values.json": (0, {}),
    "terraform-show-json-unknown-output.json": (0, {}),
    "terramate-sanitized.json": (0, {}),
    "terrascan-tfplan-0.2.json": (0, {}),
    "tfcompliance-issue181-sg.json": (3, {"exposure": 3, "security": 4}),
    "tfcompliance-issue185-outputs.json": (0, {}),
    "tfcompliance-issue249.json": (3, {"security": 1}),
    "tfcompliance-issue294-azure.json": (3, {"exposure": 2, "security": 6}),
    "tfcompliance-issue522-deletes-drift.json": (3, {"security": 3}),
    "tfcompliance-issue567-datadog.json": (0, {}),
    "tfcompliance-issue796.json": (3, {"security": 1}),
    "tfcompliance-module-sensitive.json": (3, {"security": 4}),
    "tfexec-deep-module.json": (0, {}),
    "tfjson-110_sensitive_values.json": (0, {}),
    "tfjson-action_reason.json": (0, {}),
    "tfjson-actions.json": (0, {}),
    "tfjson-basic.json": (0, {}),
    "tfjson-config_resource_depends_on.json": (0, {}),
    "tfjson-deep_module.json": (0, {}),
    "tfjson-explicit_null.json": (0, {}),
    "tfjson-has_changes.json": (0, {}),
    "tfjson-identity.json": (0, {}),
    "tfjson-moved_block.json": (0, {}),
    "tfjson-no_changes.json": (0, {}),
    "tfsummarize-example.json": (0, {}),
    "tfv-bucket-iam-member.json": (3, {"security": 1}),
    "tfv-full-compute-firewall.json": (3, {"security": 3}),
    "tfv-full-sql-instance.json": (0, {}),
    "tfv-kms-crypto-key.json": (0, {}),
    "tfv-project-update.json": (0, {}),
    "tfv-service-account-update.json": (3, {"security": 1}),
    "tfv-sql-instance.json": (0, {}),
    "tfv-tf10-applied-drift.json": (0, {}),
    "tofu-cloud-import-config-gen.json": (0, {}),
    "tofu-eq-complex-update.json": (0, {}),
    "tofu-eq-data-read.json": (0, {}),
    "tofu-eq-drift-refresh-only.json": (0, {}),
    "tofu-eq-moved-with-drift.json": (0, {}),
    "tofu-eq-replace-within-set.json": (0, {}),
    "tofu-eq-variables-outputs.json": (0, {}),
    "tradermoe-azure-replace-delete.json": (0, {}),
    "trivy-arbitrary-name.json": (0, {}),
    "trivy-no-resource-changes.json": (0, {}),
}


def test_every_real_plan_has_its_risks_written_down():
    assert set(RISKS) == {p.name for p in VALID_REAL_PLANS}


@pytest.mark.parametrize("name", sorted(RISKS))
def test_risks_per_real_plan(name):
    report, status = review_json(REAL_PLANS / name)
    counts: dict[str, int] = {}
    for resource in report["resources"]:
        for kind in {risk["class"] for risk in resource["risks"]}:
            counts[kind] = counts.get(kind, 0) + 1
    assert (status, counts) == RISKS[name]


# -- files that are not plans ---------------------------------------------------------------

REFUSALS = {
    "borchero-multiplan-INVALID.json": "more than one JSON document",
    "infracost-state-v014-INVALID.json": "a Terraform state, not a Terraform plan",
    "infracost-terraform-wrapper-INVALID.json": "the file starts with text (a log line",
    "ovsds-artificial-full-INVALID.json": "unrecognized plan format_version 'test_format_version'",
    "strata-web-replace-action-INVALID.json": 'unrecognized actions ["replace"]',
    "terraform-visual-aws-s3-trimmed-INVALID.json": "not a Terraform plan",
}


def test_every_invalid_file_has_its_message_written_down():
    assert set(REFUSALS) == {p.name for p in INVALID_PLANS}


@pytest.mark.parametrize("name", sorted(REFUSALS))
@pytest.mark.parametrize("fmt", FORMATS)
def test_invalid_files_are_refused_in_one_line_with_exit_2(name, fmt):
    result = run("review", REAL_PLANS / name, "--format", fmt)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"gen: {REAL_PLANS / name}") and result.stderr.count("\n") == 1
    assert REFUSALS[name] in result.stderr and "Traceback" not in result.stderr


# -- 1. drift without addresses (Terraform 0.15 to 1.0) -------------------------------------


def test_drift_without_addresses_is_read_and_unchanged_entries_are_left_out():
    path = REAL_PLANS / "tfcompliance-issue522-deletes-drift.json"
    raw = json.loads(path.read_bytes())
    assert raw["terraform_version"] == "1.0.0" and not any("address" in d for d in raw["resource_drift"])
    assert len(raw["resource_drift"]) == 15  # 1.0 listed every resource; 6 really changed
    report, _ = review_json(path)
    assert [(d["address"], d["action"]) for d in report["drift"]] == [
        ("aws_lambda_function.lambda", "delete"),
        ("aws_lambda_permission.allow_alert_event_bridge_to_call_monitor_metric_lambdas_frequent", "delete"),
        ("aws_lambda_permission.allow_metric_event_bridge_to_call_monitor_metric_lambda", "delete"),
        ("aws_security_group.lambda_sg", "delete"),
        ("aws_security_group_rule.task_sg_egress_rule", "delete"),
        ("aws_ssm_parameter.lambda_sg_id", "delete"),
    ]
    assert report["risks"] == [{"class": "drift", "detail": "6 resources have changed outside Terraform since the last apply"}]


@pytest.mark.parametrize("entry, address", [
    ({"mode": "managed", "type": "aws_s3_bucket", "name": "b"}, "aws_s3_bucket.b"),
    ({"mode": "data", "type": "aws_iam_policy_document", "name": "p"}, "data.aws_iam_policy_document.p"),
    ({"mode": "managed", "type": "aws_s3_bucket", "name": "b", "index": 2, "module_address": "module.a"},
     "module.a.aws_s3_bucket.b[2]"),
    ({"mode": "managed", "type": "aws_s3_bucket", "name": "b", "index": "x y", "module_address": 'module.a["k"].module.b'},
     'module.a["k"].module.b.aws_s3_bucket.b["x y"]'),
])
def test_a_drift_address_is_made_from_module_mode_type_name_and_index(entry, address):
    entry = dict(entry, change={"actions": ["update"], "before": {"v": 1}, "after": {"v": 2}})
    report = review_of({"format_version": "0.2", "resource_changes": [], "resource_drift": [entry]})
    assert [d.address for d in report.drift] == [address]


def test_a_drift_entry_without_an_address_or_the_parts_of_one_is_still_refused(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"format_version": "0.2", "resource_changes": [],
                                "resource_drift": [{"type": "aws_s3_bucket", "change": {"actions": ["update"]}}]}))
    result = run("review", path)
    assert result.exit_code == 2 and "resource_drift[0] has no address" in result.stderr


# -- 2. a Google firewall whose direction is known only after apply --------------------------


def test_a_new_firewall_with_unknown_direction_is_ingress_by_default():
    path = REAL_PLANS / "casibbald-gcp-63.json"
    [raw] = [r for r in json.loads(path.read_bytes())["resource_changes"]
             if r["address"] == "module.networking.google_compute_firewall.allow_ssh"]
    assert "direction" not in raw["change"]["after"] and raw["change"]["after_unknown"]["direction"] is True
    report, _ = review_json(path)
    firewall = by_address(report, "module.networking.google_compute_firewall.allow_ssh")
    assert {"class": "exposure", "detail": "opens ingress from 0.0.0.0/0 on tcp 22"} in firewall["risks"]


@pytest.mark.parametrize("after, unknown, exposure", [
    ({"direction": "EGRESS", "source_ranges": ["0.0.0.0/0"]}, {}, []),
    ({"source_ranges": ["0.0.0.0/0"], "deny": [{"protocol": "tcp"}]}, {"direction": True}, []),
    ({"source_ranges": ["10.0.0.0/8"], "allow": [{"protocol": "tcp", "ports": ["22"]}]}, {"direction": True}, []),
    ({"source_tags": ["bastion"], "allow": [{"protocol": "tcp", "ports": ["22"]}]}, {}, []),
    ({"allow": [{"protocol": "tcp", "ports": ["22"]}]}, {"source_ranges": True}, []),  # not known yet
    ({"allow": [{"protocol": "tcp", "ports": ["22"]}]}, {"direction": True},  # no source at all: Google's default
     ["opens ingress from 0.0.0.0/0 (no source given: Google's default) on tcp 22"]),
])
def test_google_firewalls_open_to_everyone(after, unknown, exposure):
    entry = {"address": "google_compute_firewall.f", "type": "google_compute_firewall", "change": {
        "actions": ["create"], "before": None, "after": after, "after_unknown": unknown}}
    [resource] = review_of({"format_version": "1.2", "resource_changes": [entry]}).resources
    assert [r.detail for r in resource.risks if r.kind == "exposure"] == exposure


# -- 3. Azure ------------------------------------------------------------------------------


def test_azure_network_rules_open_to_everyone_are_exposure():
    report, status = review_json(REAL_PLANS / "regula-azure-nsg-22.json")
    exposure = {r["address"]: [k["detail"] for k in r["risks"] if k["class"] == "exposure"] for r in report["resources"]}
    assert exposure["azurerm_network_security_rule.invalidrule2"] == ["allows inbound traffic from Any on tcp 22, 27"]
    assert exposure["azurerm_network_security_group.invalidnsg2"] == ["allows inbound traffic from 0.0.0.0/0 on tcp 22"]
    assert exposure["azurerm_network_security_group.validnsg1"] == ["allows inbound traffic from Internet on tcp 20"]
    assert exposure["azurerm_network_security_group.testnsg"] == []  # its rules admit only 10.0.0.0/8
    assert exposure["azurerm_network_security_rule.validrule2"] == []
    assert status == 3


def test_azure_sql_firewall_rules_covering_the_internet_are_exposure():
    report, _ = review_json(REAL_PLANS / "regula-azure-sql-firewall.json")
    exposure = {r["address"]: [k["detail"] for k in r["risks"] if k["class"] == "exposure"] for r in report["resources"]}
    assert exposure["azurerm_sql_firewall_rule.invalidrule3"] == [
        "allows connections from every address (0.0.0.0-255.255.255.255)"]
    assert exposure["azurerm_sql_firewall_rule.invalidrule2"] == [
        "allows connections from every Azure service, other customers' too (0.0.0.0-0.0.0.0)"]
    assert exposure["azurerm_sql_firewall_rule.validrule1"] == []  # one address


@pytest.mark.parametrize("resource_type, kind", [
    ("azurerm_key_vault", "key vault"),
    ("azurerm_key_vault_secret", "secret"),
    ("azurerm_storage_account", "storage account"),
    ("azurerm_managed_disk", "volume"),
    ("azurerm_mssql_server", "database server"),
    ("azurerm_sql_server", "database server"),
])
def test_deleting_azure_data_is_data_loss(resource_type, kind):
    entry = {"address": f"{resource_type}.x", "type": resource_type,
             "change": {"actions": ["delete"], "before": {"name": "x"}, "after": None}}
    report = review_of({"format_version": "1.2", "resource_changes": [entry]})
    assert [(r.kind, r.detail) for r in report.resources[0].risks] == [
        ("data-loss", f"deletes {'an' if kind[0] in 'aeiou' else 'a'} {kind}: its data is lost")]
    assert report.approval.required


@pytest.mark.parametrize("resource_type, risky", [
    ("aws_lightsail_database", True),
    ("azurerm_netapp_snapshot", True),
    ("tls_private_key", True),
    ("oci_core_volume_backup", True),
    ("aws_s3_bucket_versioning", False),  # a setting of a bucket, not the bucket
    ("aws_kms_key_policy", False),
    ("azurerm_key_vault_access_policy", False),  # a security type, known
    ("aws_instance", False),
])
def test_unknown_types_named_for_data_are_data_loss_when_deleted(resource_type, risky):
    entry = {"address": f"{resource_type}.x", "type": resource_type,
             "change": {"actions": ["delete", "create"], "before": {"name": "x"}, "after": {"name": "y"}}}
    [resource] = review_of({"format_version": "1.2", "resource_changes": [entry]}).resources
    data_loss = [r.detail for r in resource.risks if r.kind == "data-loss"]
    assert bool(data_loss) == risky
    if risky:
        assert "whose name says it holds data" in data_loss[0] and "may start empty" in data_loss[0]


# -- 4. public ACLs --------------------------------------------------------------------------


def test_public_acls_are_exposure():
    report, _ = review_json(REAL_PLANS / "checkov-nested-modules.json")
    acl = by_address(report, "module.s3_bucket.aws_s3_bucket_acl.this[0]")
    assert {"class": "exposure", "detail": "sets the public-read-write ACL (acl)"} in acl["risks"]
    report, _ = review_json(REAL_PLANS / "snykpe-resource-changes.json")
    bucket = by_address(report, "aws_s3_bucket.update_bucket")
    assert {"class": "exposure", "detail": "sets the public-read ACL (acl)"} in bucket["risks"]


def test_public_grants_and_entities_are_exposure_and_private_ones_are_not():
    def exposure(resource_type, after):
        entry = {"address": f"{resource_type}.x", "type": resource_type,
                 "change": {"actions": ["create"], "before": None, "after": after}}
        [resource] = review_of({"format_version": "1.2", "resource_changes": [entry]}).resources
        return [r.detail for r in resource.risks if r.kind == "exposure"]

    grant = {"grantee": [{"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"}], "permission": "READ"}
    assert exposure("aws_s3_bucket_acl", {"access_control_policy": [{"grant": [grant]}]}) == [
        "grants READ to the AllUsers group"]
    assert exposure("google_storage_bucket_acl", {"role_entity": ["READER:allUsers"]}) == [
        "grants access to allUsers (READER:allUsers)"]
    assert exposure("google_storage_bucket", {"predefined_acl": "publicRead"}) == ["sets the publicRead ACL (predefined_acl)"]
    assert exposure("aws_s3_bucket", {"acl": "private"}) == []
    assert exposure("aws_s3_bucket_acl", {"acl": "log-delivery-write"}) == []


# -- 5. encodings --------------------------------------------------------------------------


@pytest.mark.parametrize("encoding, bom", [
    ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-16-le", b""), ("utf-32-le", codecs.BOM_UTF32_LE),
])
def test_plans_in_utf16_and_with_byte_order_marks_are_read(tmp_path, encoding, bom):
    source = REAL_PLANS / "regula-azure-sql-firewall.json"
    path = tmp_path / "plan.json"
    path.write_bytes(bom + source.read_text("utf-8").encode(encoding))  # as PowerShell's > writes it
    for fmt in FORMATS:
        assert run("review", path, "--format", fmt).stdout == run("review", source, "--format", fmt).stdout


def test_broken_utf16_is_refused(tmp_path):
    path = tmp_path / "plan.json"
    path.write_bytes(codecs.BOM_UTF16_LE + '{"format_version": "1.2"}'.encode("utf-16-le") + b"\x00\xd8")
    result = run("review", path)
    assert result.exit_code == 2 and "not valid UTF-16-LE text" in result.stderr


# -- 6. a sensitive mask that does not fit its value ---------------------------------------


@pytest.mark.parametrize("value, mask", [
    ([{"k": "S3CRET-a"}, {"k": "S3CRET-b"}], {"k": True}),  # an object's mask on a list
    ({"k": "S3CRET-a", "j": {"x": "S3CRET-b"}}, [True, False]),  # a list's mask on an object
    ("S3CRET-a S3CRET-b", {"k": True}),  # an object's mask on a string
    (["S3CRET-a", "S3CRET-b", "S3CRET-c"], [False, True]),  # fewer marks than elements
])
def test_a_mask_that_does_not_fit_hides_the_value_whole(value, mask):
    entry = {"address": "aws_db_instance.x", "type": "aws_db_instance", "change": {
        "actions": ["update"], "before": {"a": value, "n": 1}, "after": {"a": value, "n": 2},
        "before_sensitive": {"a": mask}, "after_sensitive": {"a": mask}}}
    entry["change"]["after"] = {"a": json.loads(json.dumps(value).replace("S3CRET", "N3W-S3CRET")), "n": 2}
    report = review_of({"format_version": "1.2", "resource_changes": [entry],
                        "output_changes": {"o": {"actions": ["create"], "before": None, "after": value,
                                                 "after_sensitive": mask}}})
    changes = {c.path: (c.before, c.after) for c in report.resources[0].changes}
    assert {path: (repr(b), repr(a)) for path, (b, a) in changes.items() if path != "n"} == {
        "a": ("(sensitive)", "(sensitive)")}
    for fmt in FORMATS:
        assert "S3CRET" not in render(report, fmt)


# -- 7. forget -----------------------------------------------------------------------------


def test_forget_is_said_as_removed_from_state_with_the_object_kept():
    path = REAL_PLANS / "borchero-forget.json"
    report, status = review_json(path)
    forgotten = by_address(report, "local_file.test2")
    assert forgotten["action"] == "forget" and forgotten["reason_code"] == "delete_because_no_resource_config"
    assert forgotten["reason"] == ("removed from Terraform's state because its configuration was removed; "
                                   "the object itself is kept, not destroyed")
    assert status == 0 and forgotten["risks"] == []
    for fmt in ("text", "markdown"):
        text = run("review", path, "--format", fmt).stdout
        assert "the object itself is kept" in text and "Deleted because" not in text and "deleted because" not in text


# -- 8. size: a pull-request comment -------------------------------------------------------


def test_a_plan_of_2000_changes_fits_a_github_comment_risky_resources_first():
    report = review_of(big_plan(2000))
    whole = render(report, "markdown", None)
    assert comment_length(whole) > 4 * GITHUB_COMMENT_LIMIT  # so shortening is really needed
    text = render(report, "markdown", GITHUB_COMMENT_LIMIT)
    assert comment_length(text) <= GITHUB_COMMENT_LIMIT
    lines = text.splitlines()
    assert lines[0].startswith("**⛔ Approval required** — plan: 1142 to create, 572 to update, 286 to delete")
    assert SECRET_PREFIX not in text
    # The reasons come first, data-loss first; what did not fit is counted.
    assert lines[2] == "**Approval is required because:**"
    assert lines[4] == "- data-loss: aws_s3_bucket.legacy[1005] deletes a bucket: its data is lost"
    more = [line for line in lines if line.startswith("- … and ")]
    assert len(more) == 1 and int(re.search(r"and (\d+) more", more[0]).group(1)) > 0
    # Risky resources are listed worst first; every resource is either listed or counted.
    risky_rows = lines[lines.index("#### Changes with risks") + 4:]
    risky_rows = risky_rows[:risky_rows.index("")]
    assert risky_rows[0].startswith("| delete | <code>aws_s3_bucket.legacy[") and risky_rows[0].endswith("| data-loss |")
    kinds = [row.rsplit("|", 2)[1].strip() for row in risky_rows]
    assert kinds == sorted(kinds, key=lambda k: ("data-loss" not in k, "exposure" not in k))
    counted = lines.index(next(line for line in lines if re.fullmatch(r"#### \d+ more changes, counted", line)))
    table = lines[counted + 4:lines.index("", counted + 4)]
    numbers = sum(int(row.split("|")[3]) for row in table)
    assert len(risky_rows) + numbers == 2000
    footer = lines[-2]
    assert footer == (f"<sub>Shortened to fit 65,536 characters: {len(risky_rows)} of 2000 changed resources are listed "
                      "above, the rest counted by type and action. The full review: `gen review` on the same plan with "
                      "`--format text` or `--format json` (in CI, the job's log).</sub>")


@pytest.mark.parametrize("name", ["borchero-300-creates.json", "casibbald-gcp-63.json", "strata-high-risk.json",
                                  "regula-azure-nsg-22.json", "tfcompliance-issue522-deletes-drift.json"])
@pytest.mark.parametrize("max_chars", [2000, 3000, 5000, 12000])
def test_markdown_always_fits_max_chars_and_keeps_the_verdict_and_exit_status(name, max_chars):
    path = REAL_PLANS / name
    full = run("review", path, "--format", "markdown", "--max-chars", "0")
    short = run("review", path, "--format", "markdown", "--max-chars", max_chars)
    assert short.exit_code == full.exit_code
    assert comment_length(short.stdout) <= max_chars
    assert short.stdout.splitlines()[0] == full.stdout.splitlines()[0]
    if comment_length(full.stdout) <= max_chars:
        assert short.stdout == full.stdout
    else:
        assert "Shortened to fit" in short.stdout


def test_the_markdown_default_is_githubs_limit():
    path = REAL_PLANS / "borchero-300-creates.json"
    assert run("review", path, "--format", "markdown").stdout == \
        run("review", path, "--format", "markdown", "--max-chars", GITHUB_COMMENT_LIMIT).stdout


@pytest.mark.parametrize("args, message", [
    (["--format", "text", "--max-chars", "5000"], "--max-chars applies to --format markdown only"),
    (["--format", "markdown", "--max-chars", "100"], "at least 2000"),
    (["--format", "markdown", "--max-chars", "-1"], "--max-chars"),
])
def test_max_chars_misuse_is_exit_2(args, message):
    result = run("review", OWN_PLANS / "safe-update.json", *args)
    assert result.exit_code == 2 and message in result.stderr


# -- 9. drift noise ------------------------------------------------------------------------


def test_drift_of_only_null_to_empty_normalisation_is_not_reported():
    report, _ = review_json(REAL_PLANS / "tfv-tf10-applied-drift.json")  # cors[0].response_header: null → []
    assert report["drift"] == [] and report["risks"] == []
    entry = {"address": "aws_s3_bucket.b", "type": "aws_s3_bucket", "change": {
        "actions": ["update"], "before": {"tags": None, "rules": None, "grant": [], "name": "a"},
        "after": {"tags": {}, "rules": [], "grant": None, "name": "b"}}}
    report = review_of({"format_version": "1.2", "resource_changes": [], "resource_drift": [entry]})
    assert [(c.path, c.before, c.after) for c in report.drift[0].changes] == [("name", "a", "b")]


def test_drift_outside_the_relevant_attributes_is_left_out_with_a_note():
    report, _ = review_json(REAL_PLANS / "tradermoe-azure-replace-delete.json")
    assert report["drift"] == []  # 4 normalisations, and a subnet list the plan does not depend on
    assert report["notes"] == [
        "1 resource changed outside Terraform only in attributes this plan does not depend on "
        "(its relevant_attributes); not listed, as Terraform does not show them either"]
    report, _ = review_json(REAL_PLANS / "tofu-eq-moved-with-drift.json")
    [drift] = report["drift"]
    assert drift["address"] == "tfcoremock_simple_resource.base_after" and [c["path"] for c in drift["changes"]] == ["string"]


def test_a_refresh_only_plan_shows_all_its_drift():
    report, status = review_json(REAL_PLANS / "tofu-eq-drift-refresh-only.json")
    assert len(report["drift"]) == 1 and report["drift"][0]["changes"] and status == 0


# -- 10. what a new access rule allows -----------------------------------------------------


def test_new_rules_firewalls_and_bindings_show_their_key_attributes():
    report, _ = review_json(REAL_PLANS / "tfcompliance-issue181-sg.json")
    rule = {c["path"]: c["after"] for c in by_address(report, "aws_security_group_rule.port_53")["changes"]}
    assert rule["type"] == "ingress" and rule["cidr_blocks"] == ["0.0.0.0/0"]
    assert rule["from_port"] == rule["to_port"] == 53 and rule["protocol"] == "tcp"
    report, _ = review_json(REAL_PLANS / "casibbald-gcp-63.json")
    binding = {c["path"]: c for c in by_address(report, "module.iam.google_project_iam_binding.developer_binding")["changes"]}
    assert binding["role"] == {"path": "role", "before": None, "after": "(known after apply)", "forces_replacement": False}
    assert binding["members"]["after"] == ["serviceAccount:example-sa@your-gcp-project-id.iam.gserviceaccount.com"]
    report, _ = review_json(REAL_PLANS / "regula-s3-bucketpolicy.json")
    policy = by_address(report, "aws_s3_bucket_policy.allowlist-policy")["changes"]
    assert [c["path"] for c in policy] == ["policy"] and isinstance(policy[0]["after"], dict)  # parsed, not one long string
    assert policy[0]["after"]["Statement"][0]["Principal"] == "*"


def test_a_new_rule_that_nothing_flags_still_shows_what_it_allows():
    entry = {"address": "aws_vpc_security_group_ingress_rule.db", "type": "aws_vpc_security_group_ingress_rule",
             "change": {"actions": ["create"], "before": None, "after_unknown": {"id": True, "arn": True},
                        "after": {"ip_protocol": "tcp", "from_port": 5432, "to_port": 5432, "cidr_ipv4": "10.0.0.0/16",
                                  "security_group_id": "sg-1"}}}
    report = review_of({"format_version": "1.2", "resource_changes": [entry]})
    assert [(c.path, c.after) for c in report.resources[0].changes] == [
        ("ip_protocol", "tcp"), ("from_port", 5432), ("to_port", 5432), ("cidr_ipv4", "10.0.0.0/16")]
    text = render(report, "markdown")
    assert "| <code>cidr_ipv4</code> | <code>null</code> | <code>\"10.0.0.0/16\"</code> |" in text


def test_a_new_azure_security_group_shows_its_rules_without_unset_fields():
    report, _ = review_json(REAL_PLANS / "regula-azure-nsg-22.json")
    [rules] = by_address(report, "azurerm_network_security_group.invalidnsg2")["changes"]
    assert rules["path"] == "security_rule" and rules["before"] is None
    for rule in rules["after"]:
        assert rule["access"] in ("Allow", "Deny") and rule["direction"] in ("Inbound", "Outbound")
        assert all(value not in (None, "", [], {}) for value in rule.values()), rule
