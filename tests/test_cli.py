"""The command line: output formats, exit statuses, and nothing half-written on failure."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import EXAMPLES
from gen.cli import main

SHOP = str(EXAMPLES / "shop.json")


REPO = Path(__file__).resolve().parents[1]


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_validate_valid():
    result = run("validate", SHOP)
    assert result.exit_code == 0 and result.output.strip().endswith("shop.json: valid")


def test_validate_invalid_lists_every_problem(tmp_path):
    model = json.loads((EXAMPLES / "shop.json").read_text("utf-8"))
    model["services"]["web"]["port"] = "80"
    model["environments"]["prod"]["region"] = "mars-1"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(model, indent=2), "utf-8")
    result = run("validate", str(path))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    assert all(re.match(rf"^{re.escape(str(path))}:\d+:\d+: /\S+: .+", line) for line in lines)
    assert "/services/web/port" in lines[0] and "/environments/prod/region" in lines[1]
    listed = json.loads(run("validate", str(path), "--json").output)
    assert [p["pointer"] for p in listed] == ["/services/web/port", "/environments/prod/region"]
    assert set(listed[0]) == {"file", "line", "column", "pointer", "message"}


def test_validate_json_on_valid_and_unreadable(tmp_path):
    assert json.loads(run("validate", SHOP, "--json").output) == []
    empty = tmp_path / "empty.json"
    empty.write_text("", "utf-8")
    result = run("validate", str(empty), "--json")
    assert result.exit_code == 2 and "empty" in json.loads(result.output)[0]["message"]
    result = run("validate", str(empty))
    assert result.exit_code == 2 and result.output.strip() == f"gen: {empty}: the file is empty"


def test_env_ls():
    assert run("env", "ls", SHOP).output.split() == ["local", "preview", "prod", "prod-eu", "staging"]
    rows = json.loads(run("env", "ls", SHOP, "--json").output)
    prod = next(r for r in rows if r["name"] == "prod")
    assert prod == {"name": "prod", "type": "production", "cloud": "aws", "region": "us-east-1", "account": "222222222222",
                    "project": None, "emulate": None, "stack": "shop-prod-aws", "approval": "manual",
                    "deploy": {"trigger": "manual"}}
    local = next(r for r in rows if r["name"] == "local")
    assert (local["stack"], local["cloud"], local["emulate"]) == ("shop-local-docker", None, "aws")


def test_env_show_local_lists_each_cron_job_with_the_command_that_runs_it():
    text = run("env", "show", SHOP, "--name", "local").output
    assert re.search(r"nightly-report\s+0 3 \* \* \*\s+docker exec shop-local-worker shop report --nightly$", text, re.M)
    assert re.search(r"URL\s+http://localhost:4000$", text, re.M)
    shown = json.loads(run("env", "show", SHOP, "--name", "local", "--json").output)
    assert shown["local"]["cron"] == [{"job": "nightly-report", "schedule": "0 3 * * *", "scheduled": False,
                                       "command": "docker exec shop-local-worker shop report --nightly"}]
    assert shown["local"]["stand_ins"] == {"postgres-16": "127.0.0.1:5432", "redis-sessions": "127.0.0.1:6379",
                                           "moto": "127.0.0.1:5000"}
    assert shown["local"]["secrets_file"] == ".gen/local.secrets.tfvars"
    assert shown["local"]["secrets"] == ["local_password", "SMTP_PASSWORD", "STRIPE_KEY"]
    assert "local" not in json.loads(run("env", "show", SHOP, "--name", "prod", "--json").output)


def test_env_show_text_and_json():
    text = run("env", "show", SHOP, "--name", "staging").output
    assert "Workloads" in text and re.search(r"worker\s+internal\s+main", text)
    shown = json.loads(run("env", "show", SHOP, "--name", "pr:4", "--json").output)
    assert shown["about"]["name"] == "pr-4" and shown["about"]["domain"] == "pr-4.preview.shop.example.com"
    assert shown["tags"]["pull-request"] == "4"
    assert {w["service"]: w["unit"] for w in shown["workloads"]}["api"] == "api"


def test_env_show_unknown_name_is_a_clear_error():
    result = run("env", "show", SHOP, "--name", "prodd")
    assert result.exit_code == 2 and "did you mean 'prod'" in result.output


def walk_schema(node, path="#"):
    if isinstance(node, dict):
        for key in ("properties", "$defs"):
            for name, child in node.get(key, {}).items():
                yield f"{path}/{key}/{name}", child
                yield from walk_schema(child, f"{path}/{key}/{name}")
        for key in ("additionalProperties", "items", "propertyNames"):
            if isinstance(node.get(key), dict):
                yield f"{path}/{key}", node[key]
                yield from walk_schema(node[key], f"{path}/{key}")
        for key in ("oneOf", "anyOf", "allOf"):
            for i, child in enumerate(node.get(key, [])):
                yield from walk_schema(child, f"{path}/{key}/{i}")


def test_schema_is_printed_and_every_field_is_described():
    schema = json.loads(run("schema").output)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    undescribed = [p for p, node in walk_schema(schema) if "description" not in node and "$ref" not in node]
    assert undescribed == []


def test_synth_of_every_environment_names_what_it_skips():
    from gen.synth import select
    from gen.model.validate import load_app

    selection = select(load_app(SHOP), [], None)
    assert [e.name for e in selection.environments] == ["local", "prod", "prod-eu", "staging"]
    assert [name for name, _ in selection.skipped] == ["preview"]
    assert "pr:<number>" in selection.skipped[0][1]


def test_synth_prints_a_table(tmp_path):
    result = CliRunner().invoke(main, ["synth", SHOP, "--out", str(tmp_path / "out"), "--env", "prod"])
    assert result.exit_code == 0, result.output
    shown = re.escape(str(tmp_path / "out" / "stacks" / "shop-prod-aws" / "cdk.tf.json"))
    assert re.search(rf"shop-prod-aws\s+\d+\s+synthesized\s+{shown}\n", result.output), result.output
    assert (tmp_path / "out" / "stacks" / "shop-prod-aws" / "cdk.tf.json").exists()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text("utf-8"))
    assert list(manifest["stacks"]) == ["shop-prod-aws"]


@pytest.mark.parametrize("env,words", [("preview", "template"), ("nope", "no such environment")])
def test_synth_refuses_what_it_cannot_build_and_writes_nothing(tmp_path, env, words):
    out = tmp_path / "out"
    result = run("synth", SHOP, "--out", str(out), "--env", env)
    assert result.exit_code == 2 and words in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_invalid_model_leaves_output_as_it_was(tmp_path):
    out = tmp_path / "out"
    (out / "stacks" / "keep").mkdir(parents=True)
    (out / "stacks" / "keep" / "cdk.tf.json").write_text("{}", "utf-8")
    bad = tmp_path / "bad.json"
    shutil.copy(SHOP, bad)
    bad.write_text(bad.read_text("utf-8").replace('"us-east-1"', '"nowhere"'), "utf-8")
    result = run("synth", str(bad), "--out", str(out))
    assert result.exit_code == 2 and "/environments/prod/region" in result.output
    assert sorted(p.name for p in out.rglob("*")) == ["cdk.tf.json", "keep", "stacks"]
    assert list(tmp_path.glob(".out.*")) == []


def test_synth_shows_the_output_folder_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("synth", SHOP, "--out", "build/x", "--env", "prod")
    assert result.exit_code == 0, result.output
    assert "  build/x/stacks/shop-prod-aws/cdk.tf.json" in result.output
    assert (tmp_path / "build" / "x" / "stacks" / "shop-prod-aws" / "cdk.tf.json").is_file()


@pytest.mark.parametrize("where", ["a-file/out", "a-file"])
def test_an_output_folder_that_cannot_be_made_is_a_clear_error(tmp_path, where):
    (tmp_path / "a-file").write_text("not a folder", "utf-8")
    result = run("synth", SHOP, "--out", str(tmp_path / where), "--env", "prod")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert str(tmp_path / where) in result.output
    assert (tmp_path / "a-file").read_text("utf-8") == "not a folder"


def _hold_scratch(out):
    """A process that claims a scratch folder for `out` as a run does, then waits to be killed."""
    import subprocess
    import sys

    program = ("import sys, time\nfrom pathlib import Path\nfrom gen.synth.publish import claim_scratch\n"
               f"scratch, _ = claim_scratch(Path({str(out)!r}))\nprint(scratch, flush=True)\ntime.sleep(300)\n")
    child = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, text=True, cwd=REPO)
    return child, Path(child.stdout.readline().strip())


def test_a_run_removes_scratch_folders_of_killed_runs_and_only_those(tmp_path):
    import signal

    from gen.synth.publish import remove_stale_scratch

    out = tmp_path / "out"
    killed, stale = _hold_scratch(out)
    alive, live = _hold_scratch(out)
    try:
        (stale / "new").mkdir()
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
        mine = tmp_path / ".out.notgen00"  # a folder of the user's that only looks like one
        mine.mkdir()
        assert remove_stale_scratch(out) == [stale]
        assert not stale.exists() and live.is_dir() and mine.is_dir()
        result = run("synth", SHOP, "--out", str(out), "--env", "prod")
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in tmp_path.glob(".out.*")) == sorted([live.name, mine.name])
    finally:
        alive.kill()
        alive.wait(timeout=30)
    assert remove_stale_scratch(out) == [live]


def test_version():
    assert run("--version").output.startswith("gen, version ")


def test_a_bug_is_reported_briefly_without_traceback(monkeypatch):
    import gen.model.validate

    def broken(source):
        raise KeyError("boom")

    monkeypatch.setattr(gen.model.validate, "check", broken)
    result = CliRunner().invoke(main, ["validate", SHOP])
    assert result.exit_code == 1
    assert "internal error: KeyError" in result.output and "GEN_DEBUG=1" in result.output
    assert "Traceback" not in result.output


def test_validate_and_env_never_load_cdktf_or_node():
    """The README promises `gen validate` never starts Node: only synthesis loads cdktf and jsii."""
    import subprocess
    import sys

    program = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from gen.cli import main\n"
        f"for args in (['validate', {SHOP!r}], ['env', 'ls', {SHOP!r}, '--json'], ['env', 'show', {SHOP!r}, '--name', 'prod']):\n"
        "    assert CliRunner().invoke(main, args).exit_code == 0, args\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('cdktf', 'jsii', 'constructs')\n"
        "                or m.startswith('cdktf_cdktf_provider'))\n"
        "assert loaded == [], loaded\n"
    )
    completed = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
