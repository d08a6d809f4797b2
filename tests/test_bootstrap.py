"""`gen bootstrap`: golden stacks for both clouds, and that they make exactly what the
environment stacks' backends and the generated workflows expect."""

from __future__ import annotations

import json
import re

import pytest

from conftest import EXAMPLES, GOLDEN

CASES = [("shop", "prod"), ("shop", "staging"), ("shop", "preview"), ("gcp-preview-existing-network", "preview")]


@pytest.fixture(scope="module")
def stacks(tmp_path_factory) -> dict[tuple[str, str], dict]:
    from gen.model.environments import resolve
    from gen.model.validate import load_app
    from gen.synth.bootstrap import synth_bootstrap

    made = {}
    for model, env_name in CASES:
        out = tmp_path_factory.mktemp(f"bootstrap-{model}-{env_name}")
        env = resolve(load_app(EXAMPLES / f"{model}.json"), env_name)
        path = synth_bootstrap(env, "acme/shop", out)
        made[(model, env_name)] = {"text": path.read_text("utf-8"), "env": env, "path": path}
    return made


@pytest.mark.parametrize("model,env_name", CASES)
def test_bootstrap_matches_golden(stacks, update_goldens, model, env_name):
    made = stacks[(model, env_name)]
    golden = GOLDEN / "bootstrap" / model / f"{made['path'].parent.name}.tf.json"
    if update_goldens:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(made["text"], "utf-8")
    assert golden.exists(), f"no golden {golden}: run pytest --update-goldens and review it"
    assert golden.read_text("utf-8") == made["text"], f"{golden.name} differs: review, then --update-goldens"


def _resources(text: str) -> dict:
    return json.loads(text)["resource"]


def test_aws_bucket_is_the_backends_bucket_and_locked_down(stacks):
    made = stacks[("shop", "prod")]
    res = _resources(made["text"])
    assert res["aws_s3_bucket"]["state"]["bucket"] == made["env"].state.bucket == "shop-tfstate-222222222222"
    assert res["aws_s3_bucket"]["state"]["lifecycle"] == {"prevent_destroy": True}
    assert res["aws_s3_bucket_versioning"]["state_versioning"]["versioning_configuration"] == {"status": "Enabled"}
    assert all(res["aws_s3_bucket_public_access_block"]["state_public_access"][k] is True
               for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    policy = json.loads(res["aws_s3_bucket_policy"]["state_policy"]["policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert json.loads(made["text"])["terraform"]["backend"] == {"local": {"path": "terraform.tfstate"}}


def test_aws_roles_trust_what_the_workflows_assume(stacks):
    from gen.ci.files import generate
    from gen.model.validate import load_app

    res = _resources(stacks[("shop", "prod")]["text"])
    apply = json.loads(res["aws_iam_role"]["prod_ci_apply"]["assume_role_policy"])["Statement"][0]
    assert apply["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == ["repo:acme/shop:environment:prod"]
    plan = json.loads(res["aws_iam_role"]["prod_ci_plan"]["assume_role_policy"])["Statement"][0]
    assert plan["Condition"]["StringLike"]["token.actions.githubusercontent.com:sub"] == [
        "repo:acme/shop:pull_request", "repo:acme/shop:ref:refs/heads/*"]
    workflows = "".join(generate(load_app(EXAMPLES / "shop.json"), "examples/shop.json", ".github/workflows").values())
    for role in (res["aws_iam_role"]["prod_ci_apply"]["name"], res["aws_iam_role"]["prod_ci_plan"]["name"]):
        assert f"arn:aws:iam::222222222222:role/{role}" in workflows


def test_google_pool_admits_only_the_repository_and_apply_only_its_environment(stacks):
    res = _resources(stacks[("shop", "staging")]["text"])
    bucket = res["google_storage_bucket"]["state"]
    assert bucket["name"] == stacks[("shop", "staging")]["env"].state.bucket
    assert (bucket["uniform_bucket_level_access"], bucket["public_access_prevention"], bucket["versioning"]) == (
        True, "enforced", {"enabled": True})
    provider = res["google_iam_workload_identity_pool_provider"]["github_provider"]
    assert provider["attribute_condition"] == "assertion.repository == 'acme/shop'"
    members = res["google_service_account_iam_member"]
    assert members["staging_ci_apply_federation"]["member"].endswith("/subject/repo:acme/shop:environment:staging")
    roles = {m["role"] for m in res["google_project_iam_member"].values()}
    assert "roles/owner" not in roles and "roles/editor" not in roles
    # shop's staging stack defines the bucket-writer custom role, so its apply account may manage roles
    assert "roles/iam.roleAdmin" in roles


def test_the_apply_account_manages_roles_only_where_the_stack_defines_one():
    from gen.model.environments import resolve
    from gen.model.validate import load_app
    from providers.google.bootstrap import apply_roles

    app = load_app(EXAMPLES / "gcp-preview-existing-network.json")
    for spec in app.environments.values():
        if spec.cloud == "gcp":
            env = resolve(app, spec.name)
            writes = any(a != "read" for u in env.units.values() for a in u.uses.buckets.values())
            assert ("roles/iam.roleAdmin" in apply_roles(env)) == writes, spec.name


@pytest.mark.parametrize("model,env_name", CASES)
def test_every_reference_names_something_in_the_stack(stacks, model, env_name):
    from test_golden import missing_references, references

    stack = json.loads(stacks[(model, env_name)]["text"])
    assert references(stack), "the reference scan found nothing: it is not looking"
    assert missing_references(stack) == []


def test_argument_names_are_the_bindings(stacks):
    """Every resource argument the bootstrap stacks set is one the pinned binding knows (its
    Config class), so hashicorp/aws 6.25.0 and hashicorp/google 6.50.0 accept the names."""
    import importlib
    import inspect

    meta = {"//", "depends_on", "lifecycle", "provider", "count", "for_each"}
    unknown = []
    for made in stacks.values():
        cloud = made["env"].cloud
        package = "cdktf_cdktf_provider_aws" if cloud == "aws" else "cdktf_cdktf_provider_google"
        prefix = "aws_" if cloud == "aws" else "google_"
        for kind, items in json.loads(made["text"])["resource"].items():
            module = importlib.import_module(f"{package}.{kind.removeprefix(prefix)}")
            cls = next(c for name, c in vars(module).items() if name.endswith("Config") and inspect.isclass(c)
                       and name.lower().replace("config", "") == kind.removeprefix(prefix).replace("_", "")
                       or name.lower() == kind.removeprefix(prefix).replace("_", "") + "aconfig")
            known = set(inspect.signature(cls.__init__).parameters)
            unknown += [f"{kind}.{arg}" for item in items.values() for arg in item if arg not in meta | known]
    assert unknown == []


def test_every_api_a_google_stack_can_use_has_an_apply_role():
    """Read from needed_apis' source, so an API added there later without a role here fails."""
    import ast
    import inspect

    from providers.google import stack
    from providers.google.bootstrap import API_ROLES

    tree = ast.parse(inspect.getsource(stack.needed_apis))
    # the API names are what `apis = {...}`, `apis.add(...)` and `apis.update({...})` hold
    holders = [node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
               and any(isinstance(t, ast.Name) and t.id == "apis" for t in node.targets)]
    holders += [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "apis"]
    names = {c.value for holder in holders for c in ast.walk(holder)
             if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    assert {"compute", "run", "sqladmin", "monitoring"} <= names  # the scan sees the function's API names
    assert sorted(names - set(API_ROLES)) == []


def test_a_second_run_keeps_the_local_state_and_providers(stacks):
    """The bootstrap's state lives in its stack folder: synthesizing again rewrites only cdk.tf.json."""
    from gen.synth.bootstrap import synth_bootstrap

    made = stacks[("shop", "prod")]
    folder = made["path"].parent
    (folder / "terraform.tfstate").write_text('{"serial": 3}')
    (folder / ".terraform").mkdir()
    (folder / "cdk.tf.json").write_text("{}")
    again = synth_bootstrap(made["env"], "acme/shop", folder.parent.parent)
    assert again == made["path"] and again.read_text("utf-8") == made["text"]
    assert (folder / "terraform.tfstate").read_text() == '{"serial": 3}' and (folder / ".terraform").is_dir()
    manifest = json.loads((folder.parent.parent / "manifest.json").read_text())
    assert list(manifest["stacks"]) == ["shop-prod-aws-bootstrap"]


@pytest.mark.parametrize("cloud,field,value,env_name", [
    ("aws", "account", "222222222222", "prod"),  # the preview moved into prod's account
    ("gcp", "project", "acme-shop-prod-eu", "prod-eu"),  # a Google preview in prod-eu's project
])
def test_a_preview_beside_an_approved_environment_is_refused(tmp_path, monkeypatch, cloud, field, value, env_name):
    """Anyone who can push a branch can deploy a preview (its GitHub environment takes any branch),
    and the preview's apply identity can create IAM where it lives: bootstrapping it in the same
    account or project as an environment a person approves would hand that environment over."""
    from click.testing import CliRunner

    from gen.cli import main

    monkeypatch.chdir(tmp_path)
    model = json.loads((EXAMPLES / "shop.json").read_text())
    preview = model["environments"]["preview"]
    preview.pop("account", None)
    preview.update({"cloud": cloud, field: value, "region": "europe-west3" if cloud == "gcp" else "us-east-1"})
    (tmp_path / "app.json").write_text(json.dumps(model))
    for env in ("preview", env_name):
        done = CliRunner().invoke(main, ["bootstrap", "app.json", "--env", env, "--repo", "acme/shop"])
        assert done.exit_code == 2, done.output
        assert "/environments/preview" in done.output and f"shares {field} {value} with '{env_name}'" in done.output
        assert "Traceback" not in done.output
        assert not (tmp_path / "bootstrap").exists()


def test_no_apply_role_may_change_any_ci_role_in_its_account(tmp_path):
    """`prod`'s apply role may manage `shop-prod-*` IAM, which covers `shop-prod-eu-ci-apply` when
    prod-eu is in the same account: it must be denied every CI role there, not only its own."""
    from gen.model.environments import resolve
    from gen.model.validate import load_app
    from gen.synth.bootstrap import synth_bootstrap

    model = json.loads((EXAMPLES / "shop.json").read_text())
    model["environments"]["prod-eu"] = {**model["environments"]["prod"], "region": "eu-central-1"}  # prod's account
    (tmp_path / "app.json").write_text(json.dumps(model))
    app = load_app(tmp_path / "app.json")
    path = synth_bootstrap(resolve(app, "prod"), "acme/shop", tmp_path / "out")
    policies = {name: json.loads(p["policy"]) for name, p in _resources(path.read_text("utf-8"))["aws_iam_role_policy"].items()
                if name.endswith("_apply_iam")}
    ci_roles = {f"arn:aws:iam::222222222222:role/shop-{env}-ci-{kind}" for env in ("prod", "prod-eu") for kind in ("plan", "apply")}
    assert len(policies) == 2
    for policy in policies.values():
        deny = next(s for s in policy["Statement"] if s.get("Sid") == "NotTheCiRoles")
        assert set(deny["Resource"]) == ci_roles
    # prod's own IAM grant does cover prod-eu's CI roles: the deny is what keeps them
    prod = next(p for name, p in policies.items() if name.startswith("prod_"))
    own = next(s for s in prod["Statement"] if s.get("Sid") == "OwnRolesAndPolicies")
    assert "arn:aws:iam::222222222222:role/shop-prod-*" in own["Resource"]


def test_the_plan_role_reads_configuration_and_its_state_not_data(stacks):
    """Anyone who can push a branch can run a plan role; ReadOnlyAccess alone would let them read
    every object, item, message and log in the account. The role is denied those reads, all but
    its own state object (a preview's: every pr-<n>), which `terraform plan` needs."""
    for case, state in ((("shop", "prod"), "arn:aws:s3:::shop-tfstate-222222222222/shop/prod/terraform.tfstate"),
                        (("shop", "preview"), "arn:aws:s3:::shop-tfstate-111111111111/shop/pr-*")):
        res = _resources(stacks[case]["text"])
        env = case[1]
        plan_policies = [json.loads(p["policy"]) for p in res["aws_iam_role_policy"].values()
                         if p["role"] == f"${{aws_iam_role.{env}_ci_plan.id}}"]
        assert len(plan_policies) == 1, env
        deny = plan_policies[0]["Statement"][0]
        assert deny["Effect"] == "Deny" and deny["NotResource"] == [state]
        assert {"s3:GetObject", "dynamodb:Scan", "sqs:ReceiveMessage", "logs:GetLogEvents", "ssm:GetParameter"} <= set(deny["Action"])
    # the state key the deny leaves readable is the one the environment's backend reads
    from gen.model.environments import resolve
    from gen.model.validate import load_app

    prod = resolve(load_app(EXAMPLES / "shop.json"), "prod")
    assert (prod.state.bucket, prod.state.key) == ("shop-tfstate-222222222222", "shop/prod/terraform.tfstate")


def test_an_auto_environment_beside_a_manual_one_is_warned_about(tmp_path, monkeypatch):
    """staging (auto) moved into prod's account: the bootstrap still writes, and says that
    staging's apply role, which nobody approves, reaches prod."""
    from click.testing import CliRunner

    from gen.cli import main

    monkeypatch.chdir(tmp_path)
    model = json.loads((EXAMPLES / "shop.json").read_text())
    staging = model["environments"]["staging"]
    del staging["project"]
    staging.update({"cloud": "aws", "account": "222222222222", "region": "us-east-1"})
    (tmp_path / "app.json").write_text(json.dumps(model))
    runner = CliRunner()
    # --out absolute: jsii's node process keeps the working folder of the test that started it
    done = runner.invoke(main, ["bootstrap", "app.json", "--env", "prod", "--repo", "acme/shop", "--out", str(tmp_path / "b")])
    assert done.exit_code == 0, done.output
    assert "warning: 'staging' (approval auto) shares its account with 'prod' (approval manual)" in done.output
    alone = runner.invoke(main, ["bootstrap", str(EXAMPLES / "shop.json"), "--env", "prod", "--repo", "acme/shop",
                                 "--out", str(tmp_path / "c")])
    assert alone.exit_code == 0 and "warning" not in alone.output


def test_the_google_plan_account_can_refresh_the_secret_versions_its_stack_wrote(stacks):
    """Terraform refreshes a google_secret_manager_secret_version by reading its payload, which
    viewer does not allow: every plan after the first apply failed. The plan account may read
    version 1 (what the stack wrote) of the environment's own secrets, nothing later."""
    from gen.model import names

    for case in (("shop", "staging"), ("gcp-preview-existing-network", "preview")):
        made = stacks[case]
        env = made["env"]
        members = _resources(made["text"])["google_project_iam_member"]
        bound = [m for m in members.values() if m["role"] == "roles/secretmanager.secretAccessor"]
        assert len(bound) == 1 and "ci_plan" in bound[0]["member"], case
        expression = bound[0]["condition"]["expression"]
        assert 'resource.name.endsWith("/versions/1")' in expression
        prefix = re.search(r'startsWith\("([^"]+)"\)', expression).group(1)
        env_name = "pr-7" if env.type == "preview" else env.name
        secret_ids = [names.cloud_name(env.app.name, env_name, s, names.GOOGLE_SECRET_ID) for s in env.app.secrets]
        assert secret_ids and all(i.startswith(prefix) for i in secret_ids), (prefix, secret_ids)
        # and no other environment's secrets of a different name
        assert not names.cloud_name(env.app.name, "other", "x", names.GOOGLE_SECRET_ID).startswith(prefix)
