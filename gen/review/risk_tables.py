"""Which Terraform resource types and attributes carry review risk, as plain data.

`gen review` and `gen diff` read these tables to classify a resource change (see
gen/review/risks.py for the rules that use them, docs/review.md for the user's view). They
name AWS, Google and Azure (azurerm) resource types exactly as the Terraform providers do. Keep them sorted and
conservative: a type listed here only makes a reviewer look twice; a type missing from
here can let a destructive change through without approval.
"""

from __future__ import annotations

# Resource types that hold data: deleting or replacing one loses that data (`data-loss`).
# The value is what the resource is, in words, for the risk's detail.
STATEFUL_TYPES: dict[str, str] = {
    # AWS: databases
    "aws_db_instance": "database",
    "aws_docdb_cluster": "database",
    "aws_dynamodb_global_table": "database table",
    "aws_dynamodb_table": "database table",
    "aws_keyspaces_table": "database table",
    "aws_neptune_cluster": "database",
    "aws_opensearch_domain": "search index",
    "aws_elasticsearch_domain": "search index",
    "aws_rds_cluster": "database",
    "aws_rds_global_cluster": "database",
    "aws_redshift_cluster": "data warehouse",
    "aws_timestreamwrite_table": "database table",
    # AWS: storage
    "aws_backup_vault": "backup vault",
    "aws_ebs_snapshot": "volume snapshot",
    "aws_ebs_volume": "volume",
    "aws_ecr_repository": "image repository",
    "aws_efs_file_system": "file system",
    "aws_fsx_lustre_file_system": "file system",
    "aws_fsx_ontap_file_system": "file system",
    "aws_fsx_openzfs_file_system": "file system",
    "aws_fsx_windows_file_system": "file system",
    "aws_glacier_vault": "archive",
    "aws_s3_bucket": "bucket",
    "aws_s3_bucket_object": "bucket object",
    "aws_s3_directory_bucket": "bucket",
    "aws_s3_object": "bucket object",
    "aws_cloudwatch_log_group": "log group",
    # AWS: caches, queues and streams
    "aws_elasticache_cluster": "cache",
    "aws_elasticache_replication_group": "cache",
    "aws_elasticache_serverless_cache": "cache",
    "aws_memorydb_cluster": "cache",
    "aws_kinesis_stream": "stream",
    "aws_mq_broker": "message broker",
    "aws_msk_cluster": "message broker",
    "aws_sqs_queue": "queue",
    # AWS: secrets and keys (deleting a key makes what it encrypted unreadable)
    "aws_cognito_user_pool": "user directory",
    "aws_kms_key": "encryption key",
    "aws_secretsmanager_secret": "secret",
    "aws_secretsmanager_secret_version": "secret version",
    "aws_ssm_parameter": "parameter",
    # Google: databases
    "google_alloydb_cluster": "database",
    "google_bigquery_dataset": "dataset",
    "google_bigquery_table": "database table",
    "google_bigtable_instance": "database",
    "google_bigtable_table": "database table",
    "google_firestore_database": "database",
    "google_spanner_database": "database",
    "google_spanner_instance": "database",
    "google_sql_database": "database",
    "google_sql_database_instance": "database",
    # Google: storage
    "google_artifact_registry_repository": "image repository",
    "google_compute_disk": "volume",
    "google_compute_region_disk": "volume",
    "google_compute_snapshot": "volume snapshot",
    "google_filestore_instance": "file system",
    "google_logging_project_bucket_config": "log bucket",
    "google_storage_bucket": "bucket",
    "google_storage_bucket_object": "bucket object",
    # Google: caches and queues
    "google_memcache_instance": "cache",
    "google_pubsub_subscription": "queue",
    "google_pubsub_topic": "queue",
    "google_redis_cluster": "cache",
    "google_redis_instance": "cache",
    # Google: secrets and keys
    "google_kms_crypto_key": "encryption key",
    "google_secret_manager_secret": "secret",
    "google_secret_manager_secret_version": "secret version",
    # Docker (gen's local environments): a named volume holds a stand-in's data
    "docker_volume": "volume",
    # Azure: databases
    "azurerm_cosmosdb_account": "database",
    "azurerm_cosmosdb_cassandra_keyspace": "database",
    "azurerm_cosmosdb_gremlin_database": "database",
    "azurerm_cosmosdb_mongo_collection": "database table",
    "azurerm_cosmosdb_mongo_database": "database",
    "azurerm_cosmosdb_sql_container": "database table",
    "azurerm_cosmosdb_sql_database": "database",
    "azurerm_cosmosdb_table": "database table",
    "azurerm_kusto_cluster": "data warehouse",
    "azurerm_kusto_database": "database",
    "azurerm_mariadb_database": "database",
    "azurerm_mariadb_server": "database",
    "azurerm_mssql_database": "database",
    "azurerm_mssql_managed_instance": "database",
    "azurerm_mssql_server": "database server",
    "azurerm_mysql_database": "database",
    "azurerm_mysql_flexible_database": "database",
    "azurerm_mysql_flexible_server": "database server",
    "azurerm_mysql_server": "database server",
    "azurerm_postgresql_database": "database",
    "azurerm_postgresql_flexible_server": "database server",
    "azurerm_postgresql_flexible_server_database": "database",
    "azurerm_postgresql_server": "database server",
    "azurerm_sql_database": "database",
    "azurerm_sql_server": "database server",
    "azurerm_synapse_workspace": "data warehouse",
    # Azure: storage
    "azurerm_backup_protected_vm": "backup",
    "azurerm_container_registry": "image repository",
    "azurerm_data_protection_backup_vault": "backup vault",
    "azurerm_log_analytics_workspace": "log workspace",
    "azurerm_managed_disk": "volume",
    "azurerm_netapp_volume": "volume",
    "azurerm_recovery_services_vault": "backup vault",
    "azurerm_snapshot": "volume snapshot",
    "azurerm_storage_account": "storage account",
    "azurerm_storage_blob": "bucket object",
    "azurerm_storage_container": "bucket",
    "azurerm_storage_data_lake_gen2_filesystem": "file system",
    "azurerm_storage_share": "file system",
    "azurerm_storage_table": "database table",
    # Azure: caches, queues and streams
    "azurerm_eventhub": "stream",
    "azurerm_eventhub_namespace": "stream",
    "azurerm_redis_cache": "cache",
    "azurerm_servicebus_namespace": "message broker",
    "azurerm_servicebus_queue": "queue",
    "azurerm_servicebus_subscription": "queue",
    "azurerm_servicebus_topic": "queue",
    "azurerm_storage_queue": "queue",
    # Azure: secrets and keys
    "azurerm_key_vault": "key vault",
    "azurerm_key_vault_certificate": "certificate",
    "azurerm_key_vault_key": "encryption key",
    "azurerm_key_vault_managed_hardware_security_module": "key vault",
    "azurerm_key_vault_secret": "secret",
}

# For types no table here knows: deleting or replacing one whose name says it holds data
# counts as data loss all the same (`data-loss`, said as a guess). A name matches when
# one of its words (after the provider's) is below, unless its last word is one that
# names a setting of such a thing (`aws_s3_bucket_versioning`, `..._key_policy`).
DATA_WORDS: frozenset[str] = frozenset(
    {"backup", "backups", "bucket", "buckets", "database", "databases", "disk", "disks", "key", "keys",
     "queue", "queues", "secret", "secrets", "snapshot", "snapshots", "storage", "vault", "vaults",
     "volume", "volumes"}
)
SETTING_WORDS: frozenset[str] = frozenset(
    {"access", "acl", "alarm", "alias", "analytics", "assignment", "association", "attachment",
     "binding", "config", "configuration", "cors", "encryption", "grant", "intelligent", "inventory",
     "lifecycle", "link", "lock", "logging", "member", "metric", "notification", "ownership",
     "permission", "policy", "replication", "rule", "rules", "setting", "settings", "tag", "tags",
     "versioning", "website"}
)

# Resource types whose every change is a change to who may do what or reach what
# (`security`): IAM, security groups and their rules, firewalls, public access settings,
# resource policies. Matched exactly; SECURITY_TYPE_PATTERNS adds families by glob.
SECURITY_TYPES: dict[str, str] = {
    # AWS: network access
    "aws_default_network_acl": "network ACL",
    "aws_default_security_group": "security group",
    "aws_network_acl": "network ACL",
    "aws_network_acl_rule": "network ACL rule",
    "aws_security_group": "security group",
    "aws_security_group_rule": "security group rule",
    "aws_vpc_security_group_egress_rule": "security group rule",
    "aws_vpc_security_group_ingress_rule": "security group rule",
    "aws_wafv2_web_acl": "firewall",
    "aws_wafv2_web_acl_association": "firewall",
    # AWS: public access settings and resource policies
    "aws_ecr_repository_policy": "resource policy",
    "aws_kms_grant": "key grant",
    "aws_kms_key_policy": "key policy",
    "aws_lambda_function_url": "public function URL",
    "aws_lambda_permission": "resource policy",
    "aws_s3_account_public_access_block": "public access settings",
    "aws_s3_bucket_acl": "bucket ACL",
    "aws_s3_bucket_ownership_controls": "bucket ACL settings",
    "aws_s3_bucket_policy": "bucket policy",
    "aws_s3_bucket_public_access_block": "public access settings",
    "aws_secretsmanager_secret_policy": "resource policy",
    "aws_sns_topic_policy": "resource policy",
    "aws_sqs_queue_policy": "resource policy",
    # Google: network access
    "google_compute_firewall": "firewall",
    "google_compute_firewall_policy": "firewall policy",
    "google_compute_firewall_policy_rule": "firewall rule",
    "google_compute_network_firewall_policy": "firewall policy",
    "google_compute_network_firewall_policy_rule": "firewall rule",
    "google_compute_security_policy": "firewall policy",
    # Google: identities, ACLs and public access settings
    "google_org_policy_policy": "organization policy",
    "google_organization_iam_custom_role": "IAM role",
    "google_project_iam_custom_role": "IAM role",
    "google_project_organization_policy": "organization policy",
    "google_service_account": "service account",
    "google_service_account_key": "service account key",
    "google_storage_bucket_access_control": "bucket ACL",
    "google_storage_bucket_acl": "bucket ACL",
    "google_storage_default_object_access_control": "bucket ACL",
    "google_storage_default_object_acl": "bucket ACL",
    "google_storage_object_access_control": "object ACL",
    "google_storage_object_acl": "object ACL",
    # Azure: network access
    "azurerm_application_security_group": "security group",
    "azurerm_firewall": "firewall",
    "azurerm_firewall_application_rule_collection": "firewall rule",
    "azurerm_firewall_nat_rule_collection": "firewall rule",
    "azurerm_firewall_network_rule_collection": "firewall rule",
    "azurerm_firewall_policy": "firewall policy",
    "azurerm_firewall_policy_rule_collection_group": "firewall rule",
    "azurerm_network_interface_security_group_association": "security group association",
    "azurerm_network_security_group": "network security group",
    "azurerm_network_security_rule": "network security rule",
    "azurerm_storage_account_network_rules": "network rules",
    "azurerm_subnet_network_security_group_association": "security group association",
    "azurerm_web_application_firewall_policy": "firewall policy",
    # Azure: identities, roles and access policies
    "azurerm_federated_identity_credential": "federated identity",
    "azurerm_key_vault_access_policy": "key vault access policy",
    "azurerm_role_assignment": "role assignment",
    "azurerm_role_definition": "role definition",
    "azurerm_user_assigned_identity": "managed identity",
    # Policy documents (data sources): `gen diff` sees their changes; a plan shows them
    # on the policies that use them.
    "aws_iam_policy_document": "IAM policy document",
}

# Families of security types, as shell-style globs over the type name; reports name them
# by their type (`aws_iam_role_policy` is an "IAM role policy").
SECURITY_TYPE_PATTERNS: tuple[str, ...] = (
    "aws_iam_*",
    "google_*_iam_audit_config",
    "google_*_iam_binding",
    "google_*_iam_member",
    "google_*_iam_policy",
    "azurerm_*_firewall_rule",
    "azurerm_*_role_assignment",
    "azurerm_*_virtual_network_rule",
)

# Attributes that, changed on a resource of any type, change access to it (`security`):
# resource policies, ACLs, public access switches, attached identities and firewalls.
SECURITY_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "acl",
        "assume_role_policy",
        "associate_public_ip_address",
        "assign_public_ip",
        "authorized_networks",
        "block_public_acls",
        "block_public_policy",
        "execution_role_arn",
        "grant",
        "iam_instance_profile",
        "ignore_public_acls",
        "ingress",
        "inline_policy",
        "ipv4_enabled",
        "managed_policy_arns",
        "map_public_ip_on_launch",
        "policy",
        "policy_data",
        "public_access_prevention",
        "publicly_accessible",
        "restrict_public_buckets",
        "role",
        "security_group_ids",
        "security_groups",
        "service_account",
        "service_account_email",
        "task_role_arn",
        "uniform_bucket_level_access",
        "vpc_security_group_ids",
    }
)

# Attributes that hold the user's own keys (tags, labels, environment variables): a key
# named like an access attribute inside them (a tag called "role") is data, not access.
FREE_FORM_MAPS: frozenset[str] = frozenset(
    {"annotations", "default_tags", "environment", "labels", "metadata", "tags", "tags_all",
     "triggers", "variables"}
)

# Addresses anyone on the internet comes from, and members that are everyone.
WORLD_CIDRS: frozenset[str] = frozenset({"0.0.0.0/0", "::/0"})
PUBLIC_MEMBERS: frozenset[str] = frozenset({"allUsers", "allAuthenticatedUsers"})

# Azure network security rules: source prefixes that mean anyone on the internet.
AZURE_WORLD_SOURCES: frozenset[str] = frozenset({"*", "0.0.0.0/0", "::/0", "Any", "Internet"})

# Canned ACLs that let anyone (or any AWS account) read or write: `acl` on S3 buckets and
# objects; grantee groups of the same meaning in a full access control policy; and
# Google's predefined ACLs and ACL entities for everyone.
PUBLIC_ACLS: frozenset[str] = frozenset(
    {"authenticated-read", "public-read", "public-read-write",
     "authenticatedRead", "publicRead", "publicReadWrite"}
)
PUBLIC_GRANTEES: frozenset[str] = frozenset(
    {"http://acs.amazonaws.com/groups/global/AllUsers",
     "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}
)

# Where ingress source ranges live, per type: (list of rule blocks or None for the
# resource itself, condition on the rule, attributes holding CIDR blocks).
# The condition is (attribute, values it must have, default when absent) or None.
INGRESS_SOURCES: dict[str, tuple[str | None, tuple[str, tuple[str, ...], str] | None, tuple[str, ...]]] = {
    "aws_default_security_group": ("ingress", None, ("cidr_blocks", "ipv6_cidr_blocks")),
    "aws_security_group": ("ingress", None, ("cidr_blocks", "ipv6_cidr_blocks")),
    "aws_security_group_rule": (None, ("type", ("ingress",), ""), ("cidr_blocks", "ipv6_cidr_blocks")),
    "aws_vpc_security_group_ingress_rule": (None, None, ("cidr_ipv4", "cidr_ipv6")),
    "google_compute_firewall": (None, ("direction", ("INGRESS",), "INGRESS"), ("source_ranges",)),
}

# What a new access-control resource shows in a review even when no risk is flagged: its
# key attributes (ports, sources, members, roles, actions), by type, then by glob.
KEY_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "aws_default_security_group": ("ingress", "egress"),
    "aws_iam_group_policy": ("policy",),
    "aws_iam_policy": ("policy",),
    "aws_iam_policy_attachment": ("policy_arn", "roles", "users", "groups"),
    "aws_iam_role": ("assume_role_policy",),
    "aws_iam_role_policy": ("policy",),
    "aws_iam_role_policy_attachment": ("role", "policy_arn"),
    "aws_iam_user_policy": ("policy",),
    "aws_iam_user_policy_attachment": ("user", "policy_arn"),
    "aws_lambda_permission": ("principal", "action", "source_arn"),
    "aws_network_acl_rule": ("egress", "rule_action", "protocol", "from_port", "to_port", "cidr_block",
                             "ipv6_cidr_block"),
    "aws_s3_bucket_acl": ("acl", "access_control_policy"),
    "aws_s3_bucket_policy": ("policy",),
    "aws_security_group": ("ingress", "egress"),
    "aws_security_group_rule": ("type", "protocol", "from_port", "to_port", "cidr_blocks", "ipv6_cidr_blocks",
                                "source_security_group_id", "self", "prefix_list_ids"),
    "aws_sns_topic_policy": ("policy",),
    "aws_sqs_queue_policy": ("policy",),
    "aws_vpc_security_group_egress_rule": ("ip_protocol", "from_port", "to_port", "cidr_ipv4", "cidr_ipv6",
                                           "referenced_security_group_id", "prefix_list_id"),
    "aws_vpc_security_group_ingress_rule": ("ip_protocol", "from_port", "to_port", "cidr_ipv4", "cidr_ipv6",
                                            "referenced_security_group_id", "prefix_list_id"),
    "azurerm_network_security_group": ("security_rule",),
    "azurerm_network_security_rule": ("direction", "access", "protocol", "source_address_prefix",
                                      "source_address_prefixes", "destination_port_range",
                                      "destination_port_ranges", "priority"),
    "azurerm_role_assignment": ("role_definition_name", "role_definition_id", "principal_id", "scope"),
    "google_compute_firewall": ("direction", "source_ranges", "source_tags", "source_service_accounts",
                                "destination_ranges", "target_tags", "target_service_accounts", "allow", "deny"),
    "google_organization_iam_custom_role": ("role_id", "permissions"),
    "google_project_iam_custom_role": ("role_id", "permissions"),
    "google_storage_bucket_acl": ("predefined_acl", "role_entity"),
}
KEY_ATTRIBUTE_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("azurerm_*_firewall_rule", ("start_ip_address", "end_ip_address")),
    ("google_*_iam_binding", ("role", "members", "condition")),
    ("google_*_iam_member", ("role", "member", "condition")),
    ("google_*_iam_policy", ("policy_data",)),
)

# Attributes that make a resource reachable from the internet when they turn true.
PUBLIC_SWITCHES: frozenset[str] = frozenset(
    {"assign_public_ip", "associate_public_ip_address", "map_public_ip_on_launch", "publicly_accessible"}
)

# Attribute names whose values `gen diff` never prints: synthesized configuration has no
# provider schema to say what is sensitive, so it goes by name. Exact names, then globs.
SENSITIVE_NAMES: frozenset[str] = frozenset(
    {
        "access_key",
        "auth_token",
        "client_secret",
        "credentials",
        "password",
        "private_key",
        "secret_binary",
        "secret_data",
        "secret_key",
        "secret_string",
        "token",
    }
)
SENSITIVE_NAME_PATTERNS: tuple[str, ...] = (
    "*_password",
    "*password_wo",
    "*_private_key",
    "*_secret",
    "*_token",
    "*_api_key",
    "api_key",
)

# For `gen diff`, which has no provider schema: attributes whose change forces Terraform
# to replace the resource, for the stateful types that matter most. Conservative and
# partial on purpose: a change to an attribute not listed is reported as `update`, and
# `terraform plan` has the final word. Top-level attribute names only.
FORCES_REPLACEMENT: dict[str, frozenset[str]] = {
    "aws_db_instance": frozenset(
        {"availability_zone", "character_set_name", "db_name", "engine", "identifier",
         "identifier_prefix", "kms_key_id", "snapshot_identifier", "storage_encrypted",
         "timezone", "username"}
    ),
    "aws_dynamodb_table": frozenset({"hash_key", "name", "range_key"}),
    "aws_ebs_volume": frozenset({"availability_zone", "encrypted", "kms_key_id", "snapshot_id"}),
    "aws_efs_file_system": frozenset(
        {"availability_zone_name", "creation_token", "encrypted", "kms_key_id", "performance_mode"}
    ),
    "aws_elasticache_cluster": frozenset({"cluster_id", "engine", "port", "subnet_group_name"}),
    "aws_elasticache_replication_group": frozenset(
        {"at_rest_encryption_enabled", "port", "replication_group_id", "subnet_group_name"}
    ),
    "aws_rds_cluster": frozenset(
        {"cluster_identifier", "database_name", "engine", "engine_mode", "kms_key_id",
         "master_username", "storage_encrypted"}
    ),
    "aws_s3_bucket": frozenset({"bucket", "bucket_prefix", "object_lock_enabled"}),
    "aws_secretsmanager_secret": frozenset({"name", "name_prefix"}),
    "aws_security_group": frozenset({"description", "name", "name_prefix", "vpc_id"}),
    "aws_sqs_queue": frozenset({"fifo_queue", "name", "name_prefix"}),
    "google_compute_disk": frozenset({"image", "name", "project", "snapshot", "type", "zone"}),
    "google_filestore_instance": frozenset({"location", "name", "project", "tier"}),
    "google_pubsub_subscription": frozenset({"name", "project", "topic"}),
    "google_pubsub_topic": frozenset({"name", "project"}),
    "google_redis_instance": frozenset(
        {"authorized_network", "connect_mode", "location_id", "name", "project", "region",
         "reserved_ip_range", "tier"}
    ),
    "google_secret_manager_secret": frozenset({"project", "replication", "secret_id"}),
    "google_sql_database": frozenset({"instance", "name", "project"}),
    "google_sql_database_instance": frozenset({"name", "project", "region"}),
    "google_storage_bucket": frozenset({"location", "name", "project"}),
}

# Attributes that force replacement only when the engine family changes, not the version
# (Cloud SQL upgrades POSTGRES_15 to POSTGRES_16 in place; POSTGRES to MYSQL is a new
# instance). The family is the part before the first "_".
FORCES_REPLACEMENT_ON_FAMILY_CHANGE: dict[str, frozenset[str]] = {
    "google_sql_database_instance": frozenset({"database_version"}),
}
