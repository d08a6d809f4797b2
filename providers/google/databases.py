"""Cloud SQL for PostgreSQL: per database an instance with a private IP only (no public IP) on private
services access, SSL required, REGIONAL availability in production, backups and point-in-time recovery
by type, deletion protection by type, audit-friendly logging flags, IAM database authentication; a
database, one IAM user per deployment unit that uses it and one for the database's migration account. No
password exists anywhere; `setup_sql` is what an administrator runs once (docs/google.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf import TerraformStack
from cdktf_cdktf_provider_google.sql_database import SqlDatabase
from cdktf_cdktf_provider_google.sql_database_instance import SqlDatabaseInstance
from cdktf_cdktf_provider_google.sql_user import SqlUser

from gen.model import names
from gen.model.environments import Environment
from providers import blocks, protect

PORT = 5432
TIER = {"production": "db-custom-2-7680", "development": "db-custom-1-3840", "preview": "db-custom-1-3840"}
EDITION = "ENTERPRISE"
BACKUP_START_UTC = "02:00"
MAINTENANCE = {"day": 7, "hour": 3, "update_track": "stable"}  # Sunday 03:00 UTC
MAX_LOG_RETENTION_DAYS = 7  # point-in-time recovery keeps at most 7 days of logs on ENTERPRISE
# IAM authentication, and what an audit of the database expects to find logged.
FLAGS = {
    "cloudsql.iam_authentication": "on",
    "cloudsql.enable_pgaudit": "on",
    "log_checkpoints": "on",
    "log_connections": "on",
    "log_disconnections": "on",
    "log_duration": "on",
    "log_lock_waits": "on",
    "log_min_duration_statement": "-1",
    "log_min_error_statement": "error",
    "log_min_messages": "warning",
    "log_statement": "ddl",
    "log_temp_files": "0",
    "log_hostname": "on",
}


@dataclass
class Database:
    instance: SqlDatabaseInstance
    database: SqlDatabase
    users: dict = field(default_factory=dict)  # unit -> SqlUser (its IAM service account)
    migrator: SqlUser | None = None  # the migration account's IAM user, which owns the schema's objects


def instance_name(env: Environment, database: str) -> str:
    return env.name_for(database, names.GOOGLE_SQL_INSTANCE)


def build(stack: TerraformStack, env: Environment, network, accounts, apis: dict) -> dict[str, Database]:
    out = {}
    if not env.databases:
        return out  # and the API is not enabled either: nothing to depend on
    depends = [apis["sqladmin"]] + ([network.private_services] if network.private_services is not None else [])
    for db in env.databases.values():
        tf = names.terraform_name(db.name, "db")
        backups = {"enabled": db.backup_days > 0}
        if db.backup_days:
            backups.update(point_in_time_recovery_enabled=True, start_time=BACKUP_START_UTC,
                           transaction_log_retention_days=min(db.backup_days, MAX_LOG_RETENTION_DAYS),
                           backup_retention_settings={"retained_backups": db.backup_days, "retention_unit": "COUNT"})
        instance = SqlDatabaseInstance(
            stack, tf, name=instance_name(env, db.name), region=env.region,
            database_version=f"POSTGRES_{db.version}", deletion_protection=db.deletion_protection,
            settings={
                "tier": TIER[env.type], "edition": EDITION,
                "availability_type": "REGIONAL" if db.high_availability else "ZONAL",
                "disk_type": "PD_SSD", "disk_size": db.storage_gb, "disk_autoresize": True,
                "deletion_protection_enabled": db.deletion_protection,
                "ip_configuration": {"ipv4_enabled": False, "private_network": network.network,
                                     "ssl_mode": "ENCRYPTED_ONLY"},
                "backup_configuration": backups,
                "maintenance_window": MAINTENANCE,
                "insights_config": {"query_insights_enabled": True, "record_client_address": False},
                "database_flags": blocks([{"name": k, "value": v} for k, v in sorted(FLAGS.items())]),
            },
            lifecycle=protect(env), depends_on=depends)
        database = SqlDatabase(stack, f"{tf}_database", name=names.terraform_name(db.name), instance=instance.name,
                               lifecycle=protect(env))
        out[db.name] = Database(instance, database)
        out[db.name].migrator = SqlUser(stack, f"{tf}_migration_user", instance=instance.name,
                                        name=accounts.migration_user(db.name), type="CLOUD_IAM_SERVICE_ACCOUNT")
        for unit in env.units.values():
            if db.name in unit.uses.databases:
                out[db.name].users[unit.name] = SqlUser(
                    stack, f"{tf}_{names.terraform_name(unit.name)}_user", instance=instance.name,
                    name=accounts.database_user(unit.name), type="CLOUD_IAM_SERVICE_ACCOUNT")
    return out


def setup_sql(env: Environment, name: str, accounts) -> tuple[str, str]:
    """The one-time SQL of a database: (as `postgres`: let the migration user create in `public`;
    as the migration user: let each unit's user read and write what migrations create)."""
    migrator = accounts.migration_user(name)
    admin = f'GRANT USAGE, CREATE ON SCHEMA public TO "{migrator}";'
    units = [u.name for u in env.units.values() if name in u.uses.databases]
    users = ", ".join(f'"{accounts.database_user(u)}"' for u in units)
    grants = (f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {users}; "
              f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {users};"
              ) if units else ""
    return admin, grants
