"""Build one AWS environment's CDKTF stack: provider, state backend and tags, then each kind of resource."""

from __future__ import annotations

from cdktf import S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider

from gen.environments import Environment


def build(stack: TerraformStack, env: Environment) -> None:
    AwsProvider(
        stack, "aws",
        region=env.region,
        allowed_account_ids=[env.account],
        default_tags=[{"tags": dict(env.tags)}],
    )
    backend = S3Backend(stack, bucket=env.state.bucket, key=env.state.key, region=env.region, encrypt=True)
    # Terraform >= 1.10 locks S3 state with a lock file next to it; no DynamoDB table needed.
    backend.add_override("use_lockfile", True)
