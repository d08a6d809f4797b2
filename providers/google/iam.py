"""Identities and least privilege: a service account per deployment unit, per Cloud Scheduler job and per
push subscription (never the default compute account); each unit's account gets exactly what its
services' `uses` grant, bound on the resource itself where Google allows it."""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf import Fn, TerraformStack
from cdktf_cdktf_provider_google.cloud_run_v2_service_iam_member import CloudRunV2ServiceIamMember
from cdktf_cdktf_provider_google.project_iam_custom_role import ProjectIamCustomRole
from cdktf_cdktf_provider_google.project_iam_member import ProjectIamMember
from cdktf_cdktf_provider_google.pubsub_topic_iam_member import PubsubTopicIamMember
from cdktf_cdktf_provider_google.secret_manager_secret_iam_member import SecretManagerSecretIamMember
from cdktf_cdktf_provider_google.service_account import ServiceAccount
from cdktf_cdktf_provider_google.storage_bucket_iam_member import StorageBucketIamMember

from gen.model import names, wiring
from gen.model.environments import Environment
from providers.google.databases import instance_name

# Bucket access means the same on both clouds (docs/app-model.md, "Bucket access"): `read` is get and
# list (S3 GetObject + ListBucket), `write` is create, overwrite and delete without reading or listing
# (S3 PutObject, DeleteObject, AbortMultipartUpload), `read-write` both. Google has no predefined role
# for `write` (objectCreator cannot overwrite: that needs storage.objects.delete), so the environment
# gets one custom role with exactly those permissions.
BUCKET_READER = "roles/storage.objectViewer"
BUCKET_WRITER = "bucket-writer"  # the custom role, made in `build` when some unit writes
BUCKET_ROLES = {"read": (BUCKET_READER,), "write": (BUCKET_WRITER,), "read-write": (BUCKET_READER, BUCKET_WRITER)}
BUCKET_WRITER_PERMISSIONS = (
    "storage.multipartUploads.abort",
    "storage.multipartUploads.create",
    "storage.multipartUploads.listParts",
    "storage.objects.create",
    "storage.objects.delete",
)
TOPIC_ROLES = {"publish": "roles/pubsub.publisher"}
SECRET_ACCESSOR = "roles/secretmanager.secretAccessor"
# Cloud SQL has no instance-level IAM: connecting and logging in as an IAM user are project roles,
# narrowed by an IAM condition to the instances the unit uses.
DATABASE_ROLES = ("roles/cloudsql.client", "roles/cloudsql.instanceUser")
RUN_INVOKER = "roles/run.invoker"
SERVICE_ACCOUNT_SUFFIX = ".gserviceaccount.com"  # Cloud SQL IAM user names are the email without it


@dataclass
class Accounts:
    units: dict = field(default_factory=dict)  # unit -> ServiceAccount
    schedulers: dict = field(default_factory=dict)  # cron job -> ServiceAccount
    pushers: dict = field(default_factory=dict)  # (topic, subscription) -> ServiceAccount
    migrators: dict = field(default_factory=dict)  # database -> ServiceAccount that runs its migrations
    _database_users: dict = field(default_factory=dict)

    def database_user(self, unit: str) -> str:
        """The Postgres user name of a unit's account (IAM database authentication): its email
        without `.gserviceaccount.com`. One Terraform expression per unit, however often used."""
        if unit not in self._database_users:
            self._database_users[unit] = Fn.trimsuffix(self.units[unit].email, SERVICE_ACCOUNT_SUFFIX)
        return self._database_users[unit]

    def migration_user(self, database: str) -> str:
        """The Postgres user name of a database's migration account."""
        key = ("migrator", database)
        if key not in self._database_users:
            self._database_users[key] = Fn.trimsuffix(self.migrators[database].email, SERVICE_ACCOUNT_SUFFIX)
        return self._database_users[key]


def member(account: ServiceAccount) -> str:
    return f"serviceAccount:{account.email}"


def _account(stack, env: Environment, tf: str, resource: str, what: str, apis: dict) -> ServiceAccount:
    return ServiceAccount(stack, tf, account_id=env.name_for(resource, names.GOOGLE_SERVICE_ACCOUNT_ID),
                          display_name=f"{env.app.name} {env.name}: {what}"[:100],
                          depends_on=[apis["iam"]])


def accounts(stack: TerraformStack, env: Environment, apis: dict) -> Accounts:
    out = Accounts()
    for unit in env.units.values():
        out.units[unit.name] = _account(stack, env, names.terraform_name(unit.name, "account"), unit.name,
                                        f"unit {unit.name} ({', '.join(unit.services)})", apis)
    for job in env.app.cron.values():
        out.schedulers[job.name] = _account(stack, env, names.terraform_name(job.name, "scheduler_account"),
                                            f"{job.name}-sched", f"Cloud Scheduler for cron job {job.name}", apis)
    for db in env.databases.values():
        # Migrations run as an account of their own, which owns the schema's objects: no unit can
        # change the schema (docs/google.md, "Database roles and migrations").
        out.migrators[db.name] = _account(stack, env, names.terraform_name(db.name, "migration_account"),
                                          f"{db.name}-migrate", f"migrations of database {db.name}", apis)
    for topic in env.app.topics.values():
        for sub in topic.subscriptions.values():
            out.pushers[(topic.name, sub.name)] = _account(
                stack, env, names.terraform_name(topic.name, sub.name, "push_account"), f"{sub.name}-push",
                f"Pub/Sub push of {topic.name}/{sub.name}", apis)
    return out


def bucket_writer_role_id(env: Environment) -> str:
    """The custom role's id: letters, digits and underscores, at most 64, one per environment."""
    return names.shorten(names.terraform_name(env.app.name, env.name, "bucket_writer"), 64).replace("-", "_")


def database_condition(env: Environment, databases) -> dict:
    """An IAM condition that limits a project-level Cloud SQL role to these databases' instances."""
    instances = " || ".join(f'resource.name == "projects/{env.project}/instances/{instance_name(env, db)}"'
                            for db in sorted(databases))
    return {"title": "only its databases", "description": f"Cloud SQL instances of {', '.join(sorted(databases))}",
            "expression": f'resource.type == "sqladmin.googleapis.com/Instance" && ({instances})'}


def writes_buckets(env: Environment) -> bool:
    """Whether a unit may write a bucket: the stack then defines the bucket-writer custom role."""
    return any(access != "read" for unit in env.units.values() for access in unit.uses.buckets.values())


def build(stack: TerraformStack, env: Environment, built) -> dict[str, list]:
    """Each unit's grants on what its services use; unit -> the bindings its containers need at start."""
    grants: dict[str, list] = {}
    roles = {BUCKET_READER: BUCKET_READER}
    if writes_buckets(env):
        roles[BUCKET_WRITER] = ProjectIamCustomRole(
            stack, "bucket_writer_role", project=env.project, role_id=bucket_writer_role_id(env),
            title=f"{env.app.name} {env.name} bucket writer"[:100],
            description="create, overwrite and delete objects, without reading or listing them (gen's bucket `write`)",
            permissions=list(BUCKET_WRITER_PERMISSIONS), depends_on=[built.apis["iam"]]).name
    for unit in env.units.values():
        tf = names.terraform_name(unit.name)
        who = member(built.accounts.units[unit.name])
        mine = grants.setdefault(unit.name, [])
        for bucket, access in unit.uses.buckets.items():
            for role in BUCKET_ROLES[access]:
                kind = "read" if role == BUCKET_READER else "write"
                mine.append(StorageBucketIamMember(
                    stack, f"{tf}_{names.terraform_name(bucket)}_bucket_{kind}", bucket=built.buckets[bucket].name,
                    role=roles[role], member=who))
        for topic, access in unit.uses.topics.items():
            mine.append(PubsubTopicIamMember(
                stack, f"{tf}_{names.terraform_name(topic)}_topic_access", topic=built.topics[topic].id,
                role=TOPIC_ROLES[access], member=who))
        for secret in unit.uses.secrets:
            mine.append(SecretManagerSecretIamMember(
                stack, f"{tf}_{names.terraform_name(secret)}_secret_access",
                secret_id=built.secrets[secret].id, role=SECRET_ACCESSOR, member=who))
            mine.append(built.secrets[secret].placeholder)  # a revision needs a version to start
        for cache in unit.uses.caches:
            mine.append(SecretManagerSecretIamMember(
                stack, f"{tf}_{names.terraform_name(cache)}_cache_auth_access",
                secret_id=built.caches[cache].auth_secret.id, role=SECRET_ACCESSOR, member=who))
            mine.append(built.caches[cache].auth_version)
        if unit.uses.databases:
            condition = database_condition(env, unit.uses.databases)
            for role in DATABASE_ROLES:
                mine.append(ProjectIamMember(
                    stack, f"{tf}_{role.split('.')[-1].lower()}", project=env.project, role=role, member=who,
                    condition=condition))
    for db, account in built.accounts.migrators.items():
        condition = database_condition(env, [db])
        for role in DATABASE_ROLES:
            ProjectIamMember(stack, f"{names.terraform_name(db)}_migration_{role.split('.')[-1].lower()}",
                             project=env.project, role=role, member=member(account), condition=condition)
    return grants


def invokers(stack: TerraformStack, env: Environment, accounts: Accounts, units: dict) -> None:
    """`run.invoker` on a unit for exactly the units whose services call one of its services
    (`uses.services`); undeclared pairs get nothing. Calls carry an ID token (docs/google.md)."""
    for target, callers in wiring.callers(env).items():
        service = units[target]
        for caller in callers:
            CloudRunV2ServiceIamMember(
                stack, names.terraform_name(caller, "invokes", target), project=env.project,
                location=service.location, name=service.name, role=RUN_INVOKER,
                member=member(accounts.units[caller]))
