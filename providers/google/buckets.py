"""Cloud Storage: per bucket a regional bucket with a globally unique derived name, uniform bucket-level
access, public access prevention enforced (unless the bucket is public: then `allUsers` may read its
objects, on that bucket only, without listing them), versioning as the model says, `force_destroy` by
environment type."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_google.storage_bucket import StorageBucket
from cdktf_cdktf_provider_google.storage_bucket_iam_member import StorageBucketIamMember

from gen.model import names
from gen.model.environments import Environment
from providers import blocks, protect

# Object reads only (storage.objects.get), as AWS grants anonymous s3:GetObject only: objectViewer
# would also let anyone list the bucket.
PUBLIC_READER = "roles/storage.legacyObjectReader"
NONCURRENT_VERSIONS_DAYS = 30  # old versions of versioned buckets are deleted after this many days


def bucket_name(env: Environment, bucket: str) -> str:
    return names.global_name(env.app.name, env.name, bucket, env.project, names.GOOGLE_STORAGE_BUCKET)


def build(stack: TerraformStack, env: Environment, apis: dict) -> dict[str, StorageBucket]:
    out = {}
    for bucket in env.buckets.values():
        tf = names.terraform_name(bucket.name, "bucket")
        lifecycle_rule = blocks([{"action": {"type": "Delete"},
                                  "condition": {"days_since_noncurrent_time": NONCURRENT_VERSIONS_DAYS}}]) if bucket.versioned else None
        out[bucket.name] = StorageBucket(
            stack, tf, name=bucket_name(env, bucket.name), location=env.region.upper(),
            storage_class="STANDARD", uniform_bucket_level_access=True,
            public_access_prevention="inherited" if bucket.public else "enforced",
            versioning={"enabled": bucket.versioned}, force_destroy=bucket.force_destroy,
            lifecycle_rule=lifecycle_rule,
            lifecycle=protect(env),
            depends_on=[apis["storage"]])
        if bucket.public:
            # The model asks for public objects: anyone may read objects of this bucket, nothing more.
            StorageBucketIamMember(stack, f"{tf}_public_read", bucket=out[bucket.name].name,
                                   role=PUBLIC_READER, member="allUsers")
    return out
