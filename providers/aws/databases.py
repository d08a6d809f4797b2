"""RDS PostgreSQL: per database an instance in the private subnets, reachable only from the
tasks that use it, encrypted, TLS forced, master password managed by RDS in Secrets Manager.

Services never get the master user: each unit that uses a database connects as a role of its
own through IAM database authentication (`rds-db:connect` on exactly that user, iam.py). The
roles are created once per database by an administrator with the master secret, with the SQL
`setup_sql` writes (a Terraform output; docs/aws.md, "Database roles")."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformStack, Token
from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.security_group import SecurityGroup

from gen.model import names
from gen.model.environments import Environment
from providers import protect
from providers.aws.iam import app_user
from providers.aws.network import store_security_group

POSTGRES_PORT = 5432
USERNAME = "app"  # the master user: administrators and bootstrap only (renaming it would replace the instance)
# Instance class by environment type; the model has no database size yet.
INSTANCE_CLASS = {"production": "db.t4g.medium", "development": "db.t4g.micro", "preview": "db.t4g.micro"}
MAX_STORAGE_FACTOR = 4  # storage autoscaling up to this multiple of storage_gb
CA_CERTIFICATE = "rds-ca-rsa2048-g1"
SLOW_QUERY_MS = "1000"


@dataclass(frozen=True)
class Database:
    instance: DbInstance
    security_group: SecurityGroup
    db_name: str
    password_secret_arn: str  # the managed secret's ARN with the JSON key: an ECS valueFrom

    @property
    def secret_arn(self) -> str:
        return self.instance.master_user_secret.get(0).secret_arn


def db_name(name: str) -> str:
    return name.replace("-", "_")


def owner_role(database: str) -> str:
    """The role that owns the app's schema objects, granted to every app user of the database."""
    return f"{db_name(database)}_owner"


def setup_sql(env: Environment, database: str) -> str:
    """The one-time SQL an administrator runs as the master user: a NOLOGIN owner role with the
    rights on the database and schema `public` (Postgres 15+ grants nobody CREATE there), and a
    login role per unit that may authenticate with IAM (`rds_iam`) and acts as the owner."""
    owner, name = owner_role(database), db_name(database)
    lines = [f"CREATE ROLE {owner} NOLOGIN;",
             f"GRANT CONNECT, TEMPORARY ON DATABASE {name} TO {owner};",
             f"GRANT USAGE, CREATE ON SCHEMA public TO {owner};"]
    for unit in env.units.values():
        if database in unit.uses.databases:
            lines.append(f"CREATE ROLE {app_user(unit.name)} LOGIN IN ROLE rds_iam, {owner};")
    return "\n".join(lines) + "\n"


def build(stack: TerraformStack, env: Environment, network, task_groups: dict) -> dict[str, Database]:
    if not env.databases:
        return {}
    production = env.type == "production"
    subnets = DbSubnetGroup(stack, "database_subnets", name=env.name_for("db", 255),
                            description="private subnets of the environment's databases",
                            subnet_ids=network.private_subnet_ids)
    databases = {}
    for db in env.databases.values():
        tf = names.terraform_name(db.name)
        identifier = env.name_for(db.name, names.AWS_RDS_IDENTIFIER)
        group = store_security_group(stack, env, network, task_groups, db.name, "db", "postgres", POSTGRES_PORT,
                                     [u.name for u in env.units.values() if db.name in u.uses.databases])
        parameters = DbParameterGroup(
            stack, f"{tf}_db_parameters", name=env.name_for(f"{db.name}-pg{db.version}", names.AWS_DB_PARAMETER_GROUP),
            family=f"postgres{db.version}", description=f"{db.name}: TLS only, slow queries and DDL logged",
            parameter=[{"name": "rds.force_ssl", "value": "1"},
                       {"name": "log_min_duration_statement", "value": SLOW_QUERY_MS},
                       {"name": "log_statement", "value": "ddl"}],
            lifecycle={"create_before_destroy": True})
        keep_snapshot = env.type != "preview"
        instance = DbInstance(
            stack, tf, identifier=identifier, engine="postgres", engine_version=db.version,
            instance_class=INSTANCE_CLASS[env.type], allocated_storage=db.storage_gb,
            max_allocated_storage=db.storage_gb * MAX_STORAGE_FACTOR, storage_type="gp3", storage_encrypted=True,
            db_name=db_name(db.name), username=USERNAME, manage_master_user_password=True,
            db_subnet_group_name=subnets.name, vpc_security_group_ids=[group.id], publicly_accessible=False,
            parameter_group_name=parameters.name, ca_cert_identifier=CA_CERTIFICATE,
            multi_az=db.high_availability, backup_retention_period=db.backup_days,
            deletion_protection=db.deletion_protection,
            skip_final_snapshot=not keep_snapshot,
            final_snapshot_identifier=f"{identifier}-final" if keep_snapshot else None,
            copy_tags_to_snapshot=True, auto_minor_version_upgrade=True,
            iam_database_authentication_enabled=True,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            performance_insights_enabled=production,
            performance_insights_retention_period=7 if production else None,
            apply_immediately=not production,
            lifecycle=protect(env))
        databases[db.name] = Database(instance, group, db_name(db.name),
                                      f"{instance.master_user_secret.get(0).secret_arn}")
    return databases


def port(database: Database) -> str:
    return Token.as_string(database.instance.port)
