"""checkov's terraform_json checks on the production goldens: zero failures beyond .checkov.yaml's skips.

tests/run installs checkov into its own virtual environment (.venv-checkov), so its many
dependencies never meet gen's. Outside CI, a machine without it skips these tests; in CI
(CI=true) a missing checkov fails them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import GOLDEN, ROOT

PRODUCTION_CASES = [("shop", "shop-prod-aws"), ("shop", "shop-prod-eu-gcp"),
                    ("aws-groups-existing-network", "ledger-live-aws")]
CONFIG = ROOT / ".checkov.yaml"


def checkov() -> str:
    binary = Path(os.environ.get("GEN_CHECKOV", ROOT / ".venv-checkov" / "bin" / "checkov"))
    if not binary.exists():
        if os.environ.get("CI"):
            pytest.fail(f"checkov is not installed at {binary}: tests/run installs it")
        pytest.skip("checkov is not installed (tests/run installs it into .venv-checkov)")
    return str(binary)


def run_checkov(path: Path) -> dict:
    completed = subprocess.run(
        [checkov(), "--file", str(path), "--framework", "terraform_json", "--skip-download",
         "--config-file", str(CONFIG), "--output", "json", "--compact", "--quiet"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    assert completed.stdout.strip(), f"checkov printed nothing: {completed.stderr[-2000:]}"
    report = json.loads(completed.stdout)
    report = report[0] if isinstance(report, list) else report
    return report


@pytest.mark.parametrize("model,stack", PRODUCTION_CASES)
def test_production_golden_passes_checkov(model, stack):
    report = run_checkov(GOLDEN / model / f"{stack}.tf.json")
    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in report.get("results", {}).get("failed_checks", [])]
    summary = report.get("summary", {})
    assert summary.get("passed", 0) > 0, "checkov passed no check at all: did it read the file?"
    assert failed == [], "checkov failed checks:\n" + "\n".join(failed)


def unexplained_skips(config_text: str) -> list[str]:
    """Skip-list lines (`- CKV_...`) with no `# reason` comment of some length."""
    skips = [line for line in config_text.splitlines() if re.match(r"^\s*-\s*CKV", line)]
    return [line.strip() for line in skips if not re.search(r"#\s*\S.{10,}", line)]


def test_every_skipped_check_says_why():
    assert unexplained_skips(CONFIG.read_text("utf-8")) == [], "each skipped check needs a '# why' comment on its line"


def test_unexplained_skip_is_caught():
    text = "skip-check:\n  - CKV_AWS_1  # the bucket is a log bucket\n  - CKV_AWS_2\n  - CKV_GCP_3 # x\n"
    assert unexplained_skips(text) == ["- CKV_AWS_2", "- CKV_GCP_3 # x"]
