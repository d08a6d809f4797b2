"""gen diff: two synthesized output folders, and the model at a git ref against now."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import types
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from gen.cli import main
from gen.review.diff import compare, compare_resource, load_stacks, parse_stack
from gen.model.errors import InputError

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BEFORE = HERE / "stacks" / "before"
AFTER = HERE / "stacks" / "after"
FORMATS = ("text", "markdown", "json")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def diff_json(*args):
    result = run("diff", *args, "--format", "json")
    assert result.exit_code in (0, 3), result.output
    return json.loads(result.stdout), result.exit_code


def stack(report, name):
    [found] = [s for s in report["stacks"] if s["name"] == name]
    return found


def resource(stack_report, address):
    [found] = [r for r in stack_report["resources"] if r["address"] == address]
    return found


def classes(resource_report):
    return sorted(r["class"] for r in resource_report["risks"])


def stack_document(resources, stack_name="prod", **blocks):
    """A stack as cdktf writes it: metadata at the top and in every resource."""
    document = {
        "//": {"metadata": {"backend": "local", "stackName": stack_name, "version": "0.21.0"}, "outputs": {}},
        "provider": {"aws": [{"region": "us-east-1"}]},
        "resource": {
            rtype: {name: {"//": {"metadata": {"path": f"{stack_name}/{name}", "uniqueId": name}}, **body}
                    for name, body in named.items()}
            for rtype, named in resources.items()
        },
        "terraform": {"backend": {"local": {"path": f"terraform.{stack_name}.tfstate"}}},
    }
    document.update(blocks)
    return document


def write_out(folder: Path, stacks: dict[str, dict]) -> Path:
    for name, document in stacks.items():
        path = folder / "stacks" / name / "cdk.tf.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2))
    (folder / "manifest.json").write_text("{}")
    return folder


DB = {"identifier": "shop-prod-orders", "engine": "postgres", "engine_version": "16", "allocated_storage": 20,
      "password": "${random_password.orders.result}"}


def one_resource_diff(tmp_path, rtype, before, after, name="x"):
    old = write_out(tmp_path / "old", {"prod": stack_document({rtype: {name: before}})})
    new = write_out(tmp_path / "new", {"prod": stack_document({rtype: {name: after}})})
    report, status = diff_json(old, new)
    return resource(stack(report, "prod"), f"{rtype}.{name}"), status


# -- the two synths of a changed shop model ------------------------------------------------


def test_two_synths_of_a_changed_model():
    report, status = diff_json(BEFORE, AFTER)
    assert status == 3
    assert report["summary"] == {"create": 3, "update": 7, "replace": 1, "delete": 3, "read": 0, "no-op": 10, "forget": 0}
    assert [(s["name"], s["status"]) for s in report["stacks"]] == [
        ("preview", "removed"), ("prod", "changed"), ("prod-eu", "added"), ("staging", "changed"),
    ]
    prod = stack(report, "prod")
    assert resource(prod, "aws_db_instance.orders")["changes"] == [
        {"path": "allocated_storage", "before": 20, "after": 200, "forces_replacement": False}
    ]
    assert classes(resource(prod, "aws_db_instance.orders")) == []
    sessions = resource(prod, "aws_elasticache_replication_group.sessions")
    assert sessions["action"] == "replace" and sessions["replace_paths"] == ["port"]
    assert classes(sessions) == ["data-loss"]
    assets = resource(prod, "aws_s3_bucket.assets")
    assert assets["action"] == "delete" and classes(assets) == ["data-loss"]
    web = resource(prod, "aws_security_group.web")
    assert [r["detail"] for r in web["risks"] if r["class"] == "exposure"] == ["opens ingress from 0.0.0.0/0 on tcp 22"]
    policy = resource(prod, "aws_iam_role_policy.api_receipts")
    assert classes(policy) == ["security"] and policy["changes"][0]["path"] == "policy.Statement[0].Action"
    moved = resource(prod, "aws_sqs_queue.send_receipt")
    assert moved["action"] == "no-op" and moved["previous_address"] == "aws_sqs_queue.send-receipt"
    assert prod["outputs"] == [{"name": "api_url", "action": "create", "before": None,
                                "after": "https://shop.example.com/api", "sensitive": False}]
    staging = stack(report, "staging")
    sql = resource(staging, "google_sql_database_instance.orders")
    assert sql["action"] == "update"  # POSTGRES_15 -> POSTGRES_16 is an in-place upgrade
    public = resource(staging, "google_storage_bucket_iam_member.assets_public")
    assert public["action"] == "create" and classes(public) == ["exposure", "security"]
    added = stack(report, "prod-eu")
    assert {r["action"] for r in added["resources"]} == {"create"} and added["settings"] == []
    removed = stack(report, "preview")
    assert classes(resource(removed, "aws_s3_bucket.receipts")) == ["data-loss"]


def test_approval_reasons_name_the_stack():
    report, _ = diff_json(BEFORE, AFTER)
    reasons = report["approval"]["reasons"]
    assert "data-loss: prod: aws_s3_bucket.assets deletes a bucket: its data is lost" in reasons
    assert "exposure: staging: google_storage_bucket_iam_member.assets_public grants roles/storage.objectViewer to allUsers" in reasons
    assert [r.split(":")[0] for r in reasons] == sorted((r.split(":")[0] for r in reasons),
                                                        key=["data-loss", "exposure", "security"].index)


def test_identical_synths_need_no_approval():
    report, status = diff_json(AFTER, AFTER)
    assert status == 0 and report["approval"] == {"required": False, "reasons": []}
    assert {s["status"] for s in report["stacks"]} == {"unchanged"}
    assert all(s["resources"] == [] for s in report["stacks"])


def test_every_format_renders_and_hides_secrets():
    secrets = ["an-0ld-smtp-Secret", "a-n3w-smtp-Secret"]
    raw = "".join(p.read_text() for p in (BEFORE / "stacks" / "prod", AFTER / "stacks" / "prod") for p in [p / "cdk.tf.json"])
    assert all(s in raw for s in secrets)
    for fmt in FORMATS:
        result = run("diff", BEFORE, AFTER, "--format", fmt)
        assert result.exit_code == 3 and result.stdout.strip()
        for secret in secrets:
            assert secret not in result.stdout, fmt
        assert str(REPO) not in result.stdout
    report, _ = diff_json(BEFORE, AFTER)
    version = resource(stack(report, "prod"), "aws_secretsmanager_secret_version.smtp-password")
    assert version["changes"] == [{"path": "secret_string", "before": "(sensitive)", "after": "(sensitive)",
                                   "forces_replacement": False}]


def test_markdown_and_text_lead_with_the_verdict():
    markdown = run("diff", BEFORE, AFTER, "--format", "markdown").stdout.splitlines()
    assert markdown[0].startswith("**⛔ Approval required** — stacks:")
    assert "| Stack | Action | Resource | Risks |" in markdown
    assert "| prod | delete | <code>aws_s3_bucket.assets</code> | data-loss |" in markdown
    text = run("diff", BEFORE, AFTER).stdout.splitlines()
    assert text[0] == "Stack diff: approval required"
    assert "Stack prod-eu (added)" in text and "Moved: 1, imported: 0" in text


def test_json_resources_have_the_same_shape_as_review():
    report, _ = diff_json(BEFORE, AFTER)
    assert set(report) == {"format_version", "summary", "stacks", "approval", "notes"}
    for stack_report in report["stacks"]:
        assert set(stack_report) == {"name", "status", "resources", "outputs", "settings", "unchanged"}
        for r in stack_report["resources"]:
            assert set(r) == {"address", "type", "mode", "action", "reason", "reason_code", "risks", "changes",
                              "replace_paths", "previous_address", "importing", "import_id", "deposed"}


# -- folder comparison rules ----------------------------------------------------------------


def test_cdktf_metadata_is_ignored(tmp_path):
    old = stack_document({"aws_s3_bucket": {"b": {"bucket": "x"}}})
    new = copy.deepcopy(old)
    new["//"]["metadata"]["version"] = "0.22.0"
    new["resource"]["aws_s3_bucket"]["b"]["//"]["metadata"]["path"] = "prod/elsewhere"
    report, status = diff_json(write_out(tmp_path / "a", {"prod": old}), write_out(tmp_path / "b", {"prod": new}))
    assert status == 0 and stack(report, "prod")["status"] == "unchanged"
    assert report["summary"]["no-op"] == 1


def test_data_sources_are_identified_as_data_type_name(tmp_path):
    document = lambda actions: stack_document({}, data={"aws_iam_policy_document": {"assume": {
        "statement": [{"actions": actions, "principals": [{"type": "Service", "identifiers": ["ecs-tasks.amazonaws.com"]}]}]}}})
    report, status = diff_json(write_out(tmp_path / "a", {"prod": document(["sts:AssumeRole"])}),
                               write_out(tmp_path / "b", {"prod": document(["sts:AssumeRole", "sts:TagSession"])}))
    changed = resource(stack(report, "prod"), "data.aws_iam_policy_document.assume")
    assert changed["mode"] == "data" and changed["action"] == "update" and classes(changed) == ["security"]
    assert status == 3


def test_a_policy_document_that_lets_anyone_in_is_exposure(tmp_path):
    def document(identifiers):
        return stack_document({}, data={"aws_iam_policy_document": {"public": {"statement": [{
            "actions": ["s3:GetObject"], "principals": [{"type": "AWS", "identifiers": identifiers}]}]}}})
    report, _ = diff_json(write_out(tmp_path / "a", {"prod": document(["arn:aws:iam::1:root"])}),
                          write_out(tmp_path / "b", {"prod": document(["*"])}))
    changed = resource(stack(report, "prod"), "data.aws_iam_policy_document.public")
    assert 'allows anyone (principal "*") s3:GetObject' in [r["detail"] for r in changed["risks"]]


@pytest.mark.parametrize(
    "rtype, before, after, action",
    [
        ("aws_db_instance", DB, dict(DB, engine="mysql"), "replace"),
        ("aws_db_instance", DB, dict(DB, identifier="shop-prod-orders-2"), "replace"),
        ("aws_db_instance", DB, dict(DB, allocated_storage=50), "update"),
        ("aws_db_instance", DB, dict(DB, engine_version="17"), "update"),
        ("google_sql_database_instance", {"name": "o", "database_version": "POSTGRES_15"},
         {"name": "o", "database_version": "MYSQL_8_0"}, "replace"),
        ("google_sql_database_instance", {"name": "o", "database_version": "POSTGRES_15"},
         {"name": "o", "database_version": "POSTGRES_16"}, "update"),
        ("google_sql_database_instance", {"name": "o"}, {"name": "o2"}, "replace"),
        ("aws_ecs_service", {"name": "api"}, {"name": "api2"}, "update"),  # not in the table: update
    ],
)
def test_replacement_comes_only_from_the_table(tmp_path, rtype, before, after, action):
    changed, _ = one_resource_diff(tmp_path, rtype, before, after)
    assert changed["action"] == action
    data_loss = "data-loss" in classes(changed)
    assert data_loss == (action == "replace" and rtype != "aws_ecs_service")


def test_a_replaced_database_is_data_loss_and_hides_its_password(tmp_path):
    before = dict(DB, password="plain-text-Passw0rd")
    changed, status = one_resource_diff(tmp_path, "aws_db_instance", before, dict(before, engine="mysql", password="an0ther-Passw0rd"))
    assert changed["action"] == "replace" and changed["replace_paths"] == ["engine"]
    assert classes(changed) == ["data-loss"] and status == 3
    assert {"path": "password", "before": "(sensitive)", "after": "(sensitive)", "forces_replacement": False} in changed["changes"]
    for fmt in FORMATS:
        text = run("diff", tmp_path / "old", tmp_path / "new", "--format", fmt).stdout
        assert "Passw0rd" not in text


def test_sensitive_outputs_and_variables_are_hidden(tmp_path):
    old = stack_document({}, output={"token": {"value": "tok-0ld-VALUE", "sensitive": True}},
                         variable={"connection": {"type": "string", "default": "var-0ld-VALUE", "sensitive": True}})
    new = stack_document({}, output={"token": {"value": "tok-n3w-VALUE", "sensitive": True}},
                         variable={"connection": {"type": "string", "default": "var-n3w-VALUE", "sensitive": True}})
    write_out(tmp_path / "a", {"prod": old}), write_out(tmp_path / "b", {"prod": new})
    report, _ = diff_json(tmp_path / "a", tmp_path / "b")
    prod = stack(report, "prod")
    assert prod["outputs"] == [{"name": "token", "action": "update", "before": "(sensitive)", "after": "(sensitive)", "sensitive": True}]
    assert prod["settings"] == [{"path": "variable.connection.default", "before": "(sensitive)", "after": "(sensitive)",
                                 "forces_replacement": False}]
    for fmt in FORMATS:
        assert "VALUE" not in run("diff", tmp_path / "a", tmp_path / "b", "--format", fmt).stdout


def test_settings_changes_are_listed(tmp_path):
    old = stack_document({"aws_s3_bucket": {"b": {"bucket": "x"}}})
    new = copy.deepcopy(old)
    new["provider"]["aws"][0]["region"] = "eu-west-1"
    report, status = diff_json(write_out(tmp_path / "a", {"prod": old}), write_out(tmp_path / "b", {"prod": new}))
    prod = stack(report, "prod")
    assert prod["status"] == "changed" and prod["resources"] == []
    assert prod["settings"] == [{"path": "provider.aws[0].region", "before": "us-east-1", "after": "eu-west-1",
                                 "forces_replacement": False}]
    assert status == 0  # changes, but no risk and no manual environment


def test_import_and_removed_blocks(tmp_path):
    old = stack_document({"aws_s3_bucket": {"logs": {"bucket": "shop-logs"}}})
    new = stack_document({"aws_s3_bucket": {"assets": {"bucket": "shop-prod-assets"}}},
                         **{"import": [{"to": "aws_s3_bucket.assets", "id": "shop-prod-assets"}],
                            "removed": [{"from": "aws_s3_bucket.logs", "lifecycle": {"destroy": False}}]})
    report, status = diff_json(write_out(tmp_path / "a", {"prod": old}), write_out(tmp_path / "b", {"prod": new}))
    prod = stack(report, "prod")
    imported = resource(prod, "aws_s3_bucket.assets")
    assert imported["importing"] is True and imported["import_id"] == "shop-prod-assets"
    forgotten = resource(prod, "aws_s3_bucket.logs")
    assert forgotten["action"] == "forget" and forgotten["risks"] == []
    assert report["summary"]["forget"] == 1 and status == 0


def test_a_manual_environment_needs_approval_for_any_change():
    old = {"prod": parse_stack("prod", stack_document({"aws_ecs_service": {"api": {"desired_count": 3}}}), "old")}
    new = {"prod": parse_stack("prod", stack_document({"aws_ecs_service": {"api": {"desired_count": 5}}}), "new")}
    assert compare(old, new).approval.required is False
    manual = compare(old, new, SimpleNamespace(name="prod", approval="manual"))
    assert manual.approval.reasons == ["environment prod requires manual approval of every change"]
    assert compare(old, old, SimpleNamespace(name="prod", approval="manual")).approval.required is False


def test_absolute_paths_can_be_rewritten_so_two_synths_compare_equal(tmp_path):
    for side in ("a", "b"):
        document = stack_document({})
        document["terraform"]["backend"]["local"]["path"] = str(tmp_path / side / "terraform.prod.tfstate")
        write_out(tmp_path / side, {"prod": document})
    a = load_stacks(tmp_path / "a", "a", {str(tmp_path / "a"): "<out>"})
    b = load_stacks(tmp_path / "b", "b", {str(tmp_path / "b"): "<out>"})
    assert compare(a, b).stacks[0].status == "unchanged"


def test_an_empty_old_folder_makes_everything_added(tmp_path):
    (tmp_path / "empty").mkdir()
    report, status = diff_json(tmp_path / "empty", AFTER)
    assert {s["status"] for s in report["stacks"]} == {"added"}
    assert report["summary"]["create"] == sum(len(s["resources"]) for s in report["stacks"])
    assert status == 3  # the new stacks hold IAM members, firewalls and public grants


def test_the_stacks_folder_itself_can_be_given():
    report, _ = diff_json(BEFORE / "stacks", AFTER / "stacks")
    assert report == diff_json(BEFORE, AFTER)[0]


def test_compare_resource_directly_for_a_new_open_rule():
    rule = compare_resource("aws_security_group_rule.ssh", "aws_security_group_rule", "managed", None,
                            {"type": "ingress", "cidr_blocks": ["0.0.0.0/0"], "from_port": 22, "to_port": 22, "protocol": "tcp"})
    assert [r.kind for r in rule.risks] == ["exposure", "security"]
    egress = compare_resource("aws_security_group_rule.out", "aws_security_group_rule", "managed", None,
                              {"type": "egress", "cidr_blocks": ["0.0.0.0/0"], "from_port": 0, "to_port": 0, "protocol": "-1"})
    assert [r.kind for r in egress.risks] == ["security"]


# -- bad input ----------------------------------------------------------------------------


def test_bad_folders_are_one_line_errors_with_exit_2(tmp_path):
    missing = run("diff", tmp_path / "nope", AFTER)
    assert missing.exit_code == 2 and missing.stderr == f"gen: {tmp_path / 'nope'}: no such folder\n"

    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "readme.txt").write_text("hi")
    junk = run("diff", tmp_path / "junk", AFTER)
    assert junk.exit_code == 2 and "no synthesized stacks" in junk.stderr

    broken = tmp_path / "broken" / "stacks" / "prod" / "cdk.tf.json"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"resource": ')
    result = run("diff", tmp_path / "broken", AFTER)
    assert result.exit_code == 2 and f"{tmp_path / 'broken'}/stacks/prod/cdk.tf.json:1:" in result.stderr
    assert "not valid JSON" in result.stderr and "Traceback" not in result.stderr

    broken.write_text('{"resource": {"aws_s3_bucket": {"b": 3}}}')
    result = run("diff", tmp_path / "broken", AFTER)
    assert result.exit_code == 2 and "resource.aws_s3_bucket.b is not an object" in result.stderr
    assert result.stderr.count("\n") == 1


def test_wrong_arguments_are_usage_errors():
    assert run("diff", AFTER).exit_code == 2
    assert run("diff", AFTER, AFTER, AFTER).exit_code == 2
    assert run("diff", AFTER, AFTER, "--base", "HEAD").exit_code == 2
    result = run("diff", AFTER, BEFORE, "--env", "prod")
    assert result.exit_code == 2 and "--app and --env go together" in result.stderr


# -- against a git ref ----------------------------------------------------------------------


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(cwd), "PATH": "/usr/bin:/bin"})


def fake_synthesize(app_path, out_dir, env_names=None):
    """Stands in for gen.synth: one stack per environment, one bucket per model bucket."""
    model = json.loads(Path(app_path).read_text())
    if "broken" in model:
        raise InputError(f"{app_path}:1:1: /broken: not allowed")
    for env in env_names or sorted(model["environments"]):
        buckets = {name: {"bucket": f"{env}-{name}", **({"versioning": {"enabled": True}} if spec.get("versioned") else {})}
                   for name, spec in model["buckets"].items()}
        document = stack_document({"aws_s3_bucket": buckets} if buckets else {}, stack_name=env)
        document["terraform"]["backend"]["local"]["path"] = str(Path(out_dir) / f"terraform.{env}.tfstate")
        write_out(Path(out_dir), {env: document})
    return []


@pytest.fixture
def repo_with_model(tmp_path, monkeypatch):
    module = types.ModuleType("gen.synth")
    module.synthesize = fake_synthesize
    monkeypatch.setitem(sys.modules, "gen.synth", module)
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    model = repo / "infra" / "app.json"
    model.write_text(json.dumps({"buckets": {"receipts": {}, "assets": {}}, "environments": {"prod": {}, "staging": {}}}))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "model")
    return model


def test_base_diff_synthesizes_the_model_at_the_ref_and_now(repo_with_model, monkeypatch):
    model = repo_with_model
    model.write_text(json.dumps({"buckets": {"receipts": {"versioned": True}}, "environments": {"prod": {}, "staging": {}}}))
    monkeypatch.chdir(model.parent.parent)  # the model is given relative, from elsewhere in the repo
    report, status = diff_json("infra/app.json", "--base", "main")
    assert [s["name"] for s in report["stacks"]] == ["prod", "staging"]
    prod = stack(report, "prod")
    assert resource(prod, "aws_s3_bucket.assets")["action"] == "delete"
    assert resource(prod, "aws_s3_bucket.receipts")["changes"] == [
        {"path": "versioning", "before": None, "after": {"enabled": True}, "forces_replacement": False}]
    assert prod["settings"] == []  # the temporary out folders' paths compare equal
    assert status == 3 and report["notes"] == []


def test_base_diff_with_env_synthesizes_only_that_environment(repo_with_model, monkeypatch):
    calls = []
    monkeypatch.setattr("gen.model.validate.load_environment",
                        lambda app, name, *a: calls.append(name) or SimpleNamespace(name=name, approval="manual"))
    model = repo_with_model
    model.write_text(json.dumps({"buckets": {"receipts": {}, "assets": {}, "new": {}}, "environments": {"prod": {}, "staging": {}}}))
    report, status = diff_json(model, "--base", "main", "--env", "prod")
    assert [s["name"] for s in report["stacks"]] == ["prod"] and calls == ["prod"]
    assert report["approval"]["reasons"] == ["environment prod requires manual approval of every change"]
    assert status == 3


def test_base_diff_of_an_unchanged_model_changes_nothing(repo_with_model):
    report, status = diff_json(repo_with_model, "--base", "HEAD")
    assert status == 0 and {s["status"] for s in report["stacks"]} == {"unchanged"}


def test_a_model_new_since_the_ref_is_all_added(repo_with_model):
    repo = repo_with_model.parent.parent
    new_model = repo / "infra" / "other.json"
    new_model.write_text(json.dumps({"buckets": {"b": {}}, "environments": {"dev": {}}}))
    report, _ = diff_json(new_model, "--base", "main")
    assert [(s["name"], s["status"]) for s in report["stacks"]] == [("dev", "added")]
    assert report["notes"] == [f"{new_model} did not exist at main: every stack is new"]


def test_base_errors_are_one_line_with_exit_2(repo_with_model, tmp_path):
    result = run("diff", repo_with_model, "--base", "no-such-branch")
    assert result.exit_code == 2 and "git ref 'no-such-branch' does not exist" in result.stderr

    outside = tmp_path / "outside" / "app.json"
    outside.parent.mkdir()
    shutil.copy(repo_with_model, outside)
    result = run("diff", outside, "--base", "main")
    assert result.exit_code == 2 and "not in a git repository" in result.stderr

    result = run("diff", tmp_path / "missing.json", "--base", "main")
    assert result.exit_code == 2 and "no such file" in result.stderr

    result = run("diff", repo_with_model, "--base", "--upload-pack=evil")
    assert result.exit_code == 2 and "is not a git ref" in result.stderr


def test_an_invalid_model_at_the_ref_is_reported_against_the_ref(repo_with_model):
    repo = repo_with_model.parent.parent
    good = repo_with_model.read_text()
    repo_with_model.write_text(json.dumps({"broken": True}))
    git(repo, "commit", "-qam", "break it")
    repo_with_model.write_text(good)
    result = run("diff", repo_with_model, "--base", "HEAD")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"gen: {repo_with_model} as of HEAD: HEAD:{repo_with_model}:1:1: /broken")
    assert "gen-diff-" not in result.stderr  # no temporary path leaks into the message


# Runs the real synthesizer (cdktf through gen.synth); skipped only where the foundation's
# gen.synth is not importable. Slow-ish: two synths.
def test_base_diff_with_the_real_synthesizer(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    model = repo / "shop.json"
    shutil.copy(REPO / "examples" / "shop.json", model)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "model")
    unchanged, status = diff_json(model, "--base", "main", "--env", "prod")
    assert status == 0 and [s["status"] for s in unchanged["stacks"]] and \
        {s["status"] for s in unchanged["stacks"]} == {"unchanged"}
    document = json.loads(model.read_text())
    document["tags"]["owner"] = "team-payments"
    document["environments"]["prod"].setdefault("overrides", {}).setdefault("databases", {})["orders"] = {"storage_gb": 500}
    model.write_text(json.dumps(document))
    report, status = diff_json(model, "--base", "main", "--env", "prod")
    changes = [c for s in report["stacks"] for r in s["resources"] for c in r["changes"]]
    changes += [c for s in report["stacks"] for c in s["settings"]]
    assert any("team-payments" in json.dumps(c["after"]) for c in changes), changes  # the owner tag
    if any(s["unchanged"] or s["resources"] for s in report["stacks"]):  # stacks that hold resources
        assert any("storage" in c["path"] or "disk" in c["path"] for c in changes), changes
    assert status == 3  # prod is a production environment: manual approval
