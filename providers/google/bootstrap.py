"""The bootstrap stack for a Google Cloud project: applied once, by a person, with a local backend.

It makes what the environment stacks and the generated workflows expect to exist:

- the APIs workload identity federation and the state need;
- the state bucket, named exactly as the stacks' GCS backend names it: versioned, uniform
  bucket-level access, public access prevention enforced, kept from `terraform destroy`;
- a workload identity pool `<app>-github` whose provider accepts only tokens of the one
  repository (attribute condition on `assertion.repository`);
- per environment in this project and state bucket (gen.model.trust): a plan service account
  (viewer and security reviewer on the project, object viewer on the state bucket) that any
  workflow of the repository may use, and an apply service account that only jobs in the
  GitHub environment `<env>` may use, with the admin role of each API its stacks use (never
  owner or editor).
"""

from __future__ import annotations

from cdktf import LocalBackend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_google.data_google_project import DataGoogleProject
from cdktf_cdktf_provider_google.iam_workload_identity_pool import IamWorkloadIdentityPool
from cdktf_cdktf_provider_google.iam_workload_identity_pool_provider import IamWorkloadIdentityPoolProvider
from cdktf_cdktf_provider_google.project_iam_member import ProjectIamMember
from cdktf_cdktf_provider_google.project_service import ProjectService
from cdktf_cdktf_provider_google.provider import GoogleProvider
from cdktf_cdktf_provider_google.service_account import ServiceAccount
from cdktf_cdktf_provider_google.service_account_iam_member import ServiceAccountIamMember
from cdktf_cdktf_provider_google.storage_bucket import StorageBucket
from cdktf_cdktf_provider_google.storage_bucket_iam_member import StorageBucketIamMember

from gen.model.environments import Environment
from gen.model.names import terraform_name
from gen.model.trust import GITHUB_ISSUER, POOL_PROVIDER, pool_id, same_home, trust
from providers.google.iam import writes_buckets
from providers.google.stack import needed_apis

BOOTSTRAP_APIS = ("cloudresourcemanager", "iam", "iamcredentials", "storage", "sts")
PLAN_ROLES = ("roles/viewer", "roles/iam.securityReviewer")
# The admin role for each API a stack uses (providers.google.stack.needed_apis), and what every apply needs.
API_ROLES = {
    "cloudscheduler": ("roles/cloudscheduler.admin",),
    "compute": ("roles/compute.admin",),
    "dns": ("roles/dns.admin",),
    "iam": ("roles/iam.serviceAccountAdmin", "roles/iam.serviceAccountUser", "roles/resourcemanager.projectIamAdmin"),
    "logging": ("roles/logging.admin",),
    "monitoring": ("roles/monitoring.admin",),
    "pubsub": ("roles/pubsub.admin",),
    "redis": ("roles/redis.admin",),
    "run": ("roles/run.admin",),
    "secretmanager": ("roles/secretmanager.admin",),
    "servicenetworking": ("roles/servicenetworking.networksAdmin",),
    "sqladmin": ("roles/cloudsql.admin",),
    "storage": ("roles/storage.admin",),
}
APPLY_ROLES = ("roles/browser", "roles/serviceusage.serviceUsageAdmin")


CUSTOM_ROLES = "roles/iam.roleAdmin"  # the stack defines the bucket-writer role (providers.google.iam)


def placeholder_reads(env: Environment) -> dict:
    """The condition under which the plan account may read a secret version: version 1 of the
    environment's own secrets (previews: `<app>-pr-*`), the one the stack wrote (a placeholder,
    or a cache's AUTH string, which the state holds anyway).

    Terraform refreshes a `google_secret_manager_secret_version` by reading its payload, which
    viewer does not allow: without this every plan after the first apply fails. The values
    people add are version 2 and later, which the plan account cannot read.
    """
    prefix = f"{env.app.name}-pr-" if env.type == "preview" else f"{env.app.name}-{env.spec_name}-"
    return {"title": "gen-stack-secret-versions",
            "description": "version 1 of the environment's own secrets: what its stack wrote",
            "expression": ('resource.type == "secretmanager.googleapis.com/SecretVersion"'
                           ' && resource.name.endsWith("/versions/1")'
                           f' && resource.name.extract("/secrets/{{id}}/versions/").startsWith("{prefix}")')}


def apply_roles(env: Environment) -> list[str]:
    roles = {*APPLY_ROLES, *(role for api in needed_apis(env) for role in API_ROLES.get(api, ()))}
    if writes_buckets(env):
        roles.add(CUSTOM_ROLES)
    return sorted(roles)


def build(stack: TerraformStack, env: Environment, repository: str) -> None:
    GoogleProvider(stack, "google", project=env.project, region=env.region,
                   default_labels={"app": env.app.name, "managed-by": "gen", "purpose": "ci-bootstrap"})
    LocalBackend(stack, path="terraform.tfstate")
    apis = [ProjectService(stack, terraform_name("api", api), service=f"{api}.googleapis.com",
                           disable_on_destroy=False, disable_dependent_services=False) for api in BOOTSTRAP_APIS]
    project = DataGoogleProject(stack, "project", project_id=env.project)
    bucket = StorageBucket(stack, "state", name=env.state.bucket, location=env.region.upper(), storage_class="STANDARD",
                           uniform_bucket_level_access=True, public_access_prevention="enforced",
                           versioning={"enabled": True}, force_destroy=False,
                           lifecycle={"prevent_destroy": True}, depends_on=apis)
    pool = IamWorkloadIdentityPool(stack, "github", workload_identity_pool_id=pool_id(env.app),
                                   display_name="GitHub Actions", description=f"gen: CI of {repository}",
                                   depends_on=apis)
    provider = IamWorkloadIdentityPoolProvider(
        stack, "github_provider", workload_identity_pool_id=pool.workload_identity_pool_id,
        workload_identity_pool_provider_id=POOL_PROVIDER, display_name="GitHub Actions",
        attribute_mapping={"google.subject": "assertion.sub", "attribute.repository": "assertion.repository",
                           "attribute.environment": "assertion.environment"},
        attribute_condition=f"assertion.repository == '{repository}'",
        oidc={"issuer_uri": GITHUB_ISSUER})
    members = f"iam.googleapis.com/projects/{project.number}/locations/global/workloadIdentityPools/{pool.workload_identity_pool_id}"
    TerraformOutput(stack, "state_bucket", value=bucket.name)
    TerraformOutput(stack, "workload_identity_provider", value=provider.name,
                    description=f"set the repository variable {trust(env).provider_variable} to this")
    for each in same_home(env.app, env):
        t = trust(each)
        tf = terraform_name(each.spec_name)
        plan = ServiceAccount(stack, f"{tf}_ci_plan", account_id=t.plan, display_name=f"gen: plan {each.spec_name}",
                              depends_on=apis)
        apply = ServiceAccount(stack, f"{tf}_ci_apply", account_id=t.apply, display_name=f"gen: apply {each.spec_name}",
                               depends_on=apis)
        ServiceAccountIamMember(stack, f"{tf}_ci_plan_federation", service_account_id=plan.name,
                                role="roles/iam.workloadIdentityUser",
                                member=f"principalSet://{members}/attribute.repository/{repository}")
        ServiceAccountIamMember(stack, f"{tf}_ci_apply_federation", service_account_id=apply.name,
                                role="roles/iam.workloadIdentityUser",
                                member=f"principal://{members}/subject/repo:{repository}:environment:{each.spec_name}")
        for role in PLAN_ROLES:
            ProjectIamMember(stack, terraform_name(tf, "ci_plan", role.split("/")[1].replace(".", "_")), project=env.project,
                             role=role, member=plan.member)
        if "secretmanager" in needed_apis(each):
            ProjectIamMember(stack, f"{tf}_ci_plan_stack_secret_versions", project=env.project,
                             role="roles/secretmanager.secretAccessor", member=plan.member, condition=placeholder_reads(each))
        StorageBucketIamMember(stack, f"{tf}_ci_plan_state", bucket=bucket.name, role="roles/storage.objectViewer",
                               member=plan.member)
        for role in apply_roles(each):
            ProjectIamMember(stack, terraform_name(tf, "ci_apply", role.split("/")[1].replace(".", "_")), project=env.project,
                             role=role, member=apply.member)
        StorageBucketIamMember(stack, f"{tf}_ci_apply_state", bucket=bucket.name, role="roles/storage.objectAdmin",
                               member=apply.member)
        TerraformOutput(stack, f"{tf}_plan_service_account", value=plan.email)
        TerraformOutput(stack, f"{tf}_apply_service_account", value=apply.email)
