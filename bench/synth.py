"""Benchmark `gen synth` against a plain cdktf program, as issue 5 asks (docs/performance.md).

Run from the repository root with the Python that has gen's dependencies:

    python bench/synth.py            # 3 rounds (about 2-3 minutes on 2 cores)
    python bench/synth.py --runs 5

Each round measures, one after the other (side by side, so drift hits all alike):

  baseline   python -c "import cdktf_cdktf_provider_aws, cdktf_cdktf_provider_google"
  1 all      gen synth examples/shop.json, every cloud environment, into an empty folder
  2 aws/gcp  gen synth examples/shop.json --env prod (aws) / --env staging (gcp), empty folder
  3 again    gen synth examples/shop.json on the output of (1): nothing to do
  5 x10      gen synth on a model ten times shop.json (made here, in a temp folder)
  fresh      (1) with an empty jsii package cache: the first run on a new machine (not a target)

Wall time is the median of the rounds. Peak memory is the largest resident set of any one
process of a run (Python, its forked per-cloud processes or Node), from os.wait4: the kernel
keeps, for each waited-for process tree, the peak of its biggest member.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "examples" / "shop.json"
COPIES = 10

# The full-stack proxy (until the AWS and Google stacks land): each stack also loads ~60
# distinct binding modules and creates `per_kind` resources of each of five simple kinds,
# through the real synth path. 30 a kind is shop.json's expected ~150 resources a stack.
PROXY_MODULES = {
    "aws": """vpc subnet security_group security_group_rule vpc_security_group_ingress_rule
        vpc_security_group_egress_rule internet_gateway nat_gateway eip route_table route
        route_table_association ecs_cluster ecs_service ecs_task_definition iam_role iam_role_policy
        iam_policy iam_role_policy_attachment lb lb_listener lb_target_group lb_listener_rule db_instance
        db_subnet_group db_parameter_group s3_bucket s3_bucket_versioning s3_bucket_public_access_block
        s3_bucket_server_side_encryption_configuration s3_bucket_policy sns_topic sqs_queue
        sns_topic_subscription sqs_queue_policy elasticache_replication_group elasticache_subnet_group
        secretsmanager_secret secretsmanager_secret_version cloudwatch_log_group kms_key kms_alias
        acm_certificate acm_certificate_validation route53_record data_aws_route53_zone
        data_aws_iam_policy_document scheduler_schedule appautoscaling_target appautoscaling_policy
        flow_log ecr_repository wafv2_web_acl wafv2_web_acl_association
        service_discovery_private_dns_namespace service_discovery_service
        s3_bucket_lifecycle_configuration s3_bucket_ownership_controls cloudwatch_metric_alarm
        data_aws_availability_zones vpc_endpoint""".split(),
    "gcp": """compute_network compute_subnetwork compute_router compute_router_nat compute_global_address
        service_networking_connection cloud_run_v2_service cloud_run_v2_job cloud_run_v2_service_iam_member
        sql_database_instance sql_database sql_user storage_bucket storage_bucket_iam_member pubsub_topic
        pubsub_subscription pubsub_topic_iam_member cloud_scheduler_job redis_instance secret_manager_secret
        secret_manager_secret_version secret_manager_secret_iam_member service_account project_iam_member
        project_service compute_global_forwarding_rule compute_target_https_proxy compute_url_map
        compute_backend_service compute_region_network_endpoint_group compute_managed_ssl_certificate
        compute_security_policy dns_record_set data_google_dns_managed_zone vpc_access_connector
        artifact_registry_repository kms_key_ring kms_crypto_key kms_crypto_key_iam_member
        logging_project_sink monitoring_alert_policy compute_firewall compute_target_http_proxy
        compute_global_network_endpoint_group certificate_manager_certificate
        certificate_manager_certificate_map certificate_manager_certificate_map_entry cloud_tasks_queue
        eventarc_trigger service_account_iam_member storage_bucket_object compute_route compute_address
        network_connectivity_spoke sql_ssl_cert data_google_project data_google_client_config
        compute_ssl_policy logging_metric""".split(),
}


def proxy_resources(stack, cloud: str, per_kind: int) -> None:
    import importlib

    package = {"aws": "cdktf_cdktf_provider_aws", "gcp": "cdktf_cdktf_provider_google"}[cloud]
    for module_name in PROXY_MODULES[cloud]:
        module = importlib.import_module(f"{package}.{module_name}")
        kind = next(getattr(module, n) for n in module.__all__ if hasattr(getattr(module, n), "TF_RESOURCE_TYPE"))
        kind.TF_RESOURCE_TYPE  # a jsii static: Node loads the module's JS
    if cloud == "aws":
        from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
        from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
        from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
        from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
        from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

        for i in range(per_kind):
            S3Bucket(stack, f"proxy_bucket_{i}", bucket=f"proxy-{i}")
            SnsTopic(stack, f"proxy_topic_{i}", name=f"proxy-{i}")
            SqsQueue(stack, f"proxy_queue_{i}", name=f"proxy-{i}")
            CloudwatchLogGroup(stack, f"proxy_logs_{i}", name=f"proxy-{i}", retention_in_days=30)
            SecretsmanagerSecret(stack, f"proxy_secret_{i}", name=f"proxy-{i}")
    else:
        from cdktf_cdktf_provider_google.compute_global_address import ComputeGlobalAddress
        from cdktf_cdktf_provider_google.compute_network import ComputeNetwork
        from cdktf_cdktf_provider_google.pubsub_topic import PubsubTopic
        from cdktf_cdktf_provider_google.service_account import ServiceAccount
        from cdktf_cdktf_provider_google.storage_bucket import StorageBucket

        for i in range(per_kind):
            StorageBucket(stack, f"proxy_bucket_{i}", name=f"proxy-{i}", location="EU")
            PubsubTopic(stack, f"proxy_topic_{i}", name=f"proxy-{i}")
            ServiceAccount(stack, f"proxy_account_{i}", account_id=f"proxy-{i}")
            ComputeNetwork(stack, f"proxy_network_{i}", name=f"proxy-{i}", auto_create_subnetworks=False)
            ComputeGlobalAddress(stack, f"proxy_address_{i}", name=f"proxy-{i}")


def proxy_child(per_kind: int, arguments: list[str]) -> None:
    """`gen synth <arguments>` with proxy resources added to every stack (a child process)."""
    sys.path.insert(0, str(ROOT))
    import gen.synth
    from gen.cli import main as gen_main

    real = gen.synth._builders

    def builders(clouds):
        built = real(clouds)

        def wrap(cloud, build):
            def with_proxy(stack, env):
                build(stack, env)
                proxy_resources(stack, cloud, per_kind)
            return with_proxy
        return {cloud: wrap(cloud, build) for cloud, build in built.items()}

    gen.synth._builders = builders
    gen_main(arguments, prog_name="gen")


def tenfold(model: dict, copies: int = COPIES) -> dict:
    """`model` with `copies` copies of every service and resource; copy k > 1 is `<name>-<k>`
    and refers to copy k of what the original refers to."""
    model = json.loads(json.dumps(model))

    def name(original: str, k: int) -> str:
        return original if k == 1 else f"{original}-{k}"

    def renamed(value, kind_names: dict[str, set[str]], k: int, kind: str):
        return name(value, k) if value in kind_names[kind] else value

    kinds = ("services", "databases", "buckets", "topics", "cron", "caches", "secrets")
    names = {kind: set(model.get(kind, {})) for kind in kinds}
    for kind in kinds:
        originals = model.get(kind, {})
        grown = {}
        for k in range(1, copies + 1):
            for original, spec in originals.items():
                spec = json.loads(json.dumps(spec))
                if kind == "services":
                    if k > 1 and "path" in spec:
                        spec["path"] = f"/{name(original, k)}"
                    uses = spec.get("uses", {})
                    for use_kind, used in uses.items():
                        if isinstance(used, list):
                            uses[use_kind] = [renamed(u, names, k, use_kind) for u in used]
                        else:
                            uses[use_kind] = {renamed(u, names, k, use_kind): v for u, v in used.items()}
                elif kind == "topics":
                    spec["subscriptions"] = {
                        name(sub, k): {**s, "service": renamed(s["service"], names, k, "services")}
                        for sub, s in spec.get("subscriptions", {}).items()}
                elif kind == "cron":
                    spec["service"] = renamed(spec["service"], names, k, "services")
                grown[name(original, k)] = spec
        model[kind] = dict(sorted(grown.items()))
    for env in model.get("environments", {}).values():
        allocation = env.get("process_allocation")
        if isinstance(allocation, dict):
            allocation["groups"] = {group: sorted(name(s, k) for s in members for k in range(1, copies + 1))
                                    for group, members in allocation["groups"].items()}
        for kind, overrides in env.get("overrides", {}).items():
            if kind in names:
                env["overrides"][kind] = {name(o, k): v for o, v in overrides.items() for k in range(1, copies + 1)}
    return model


def run(command: list[str], env: dict | None = None) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB of the biggest process of the run)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, **(env or {})})
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"failed ({process.returncode}): {' '.join(command)}\n{stderr.decode(errors='replace')[-3000:]}")
    return elapsed, usage.ru_maxrss // 1024


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1]) // 1024 ** 2
    except (OSError, StopIteration, ValueError):
        memory = 0
    node = subprocess.run([os.environ.get("JSII_NODE", "node"), "--version"], capture_output=True, text=True).stdout.strip()
    return (f"{os.cpu_count()} cores ({cpu}), {memory} GB, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, Node {node}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds; each figure is their median (default 3, at least 3)")
    parser.add_argument("--no-fresh-cache", action="store_true", help="skip the run with an empty jsii package cache")
    parser.add_argument("--no-proxy", action="store_true", help="skip the full-stack proxy figures")
    parser.add_argument("--proxy-child", type=int, metavar="PER_KIND", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.proxy_child is not None:
        proxy_child(args.proxy_child, rest)
        return
    runs = max(3, args.runs)
    python = sys.executable
    gen = [python, "-m", "gen", "synth"]
    work = Path(tempfile.mkdtemp(prefix="gen-bench-"))
    try:
        big = work / "shop-x10.json"
        big.write_text(json.dumps(tenfold(json.loads(SHOP.read_text("utf-8"))), indent=2), "utf-8")
        check = subprocess.run([python, "-m", "gen", "validate", str(big)], cwd=ROOT, capture_output=True, text=True)
        if check.returncode != 0:
            sys.exit(f"the x10 model is not valid:\n{check.stdout}{check.stderr}")
        run(gen + [str(SHOP), "--out", str(work / "warm")])  # fills jsii's package cache once, like any earlier run
        up_to_date = work / "up-to-date"
        run(gen + [str(SHOP), "--out", str(up_to_date)])

        cases = {
            "baseline": lambda i: [python, "-c", "import cdktf_cdktf_provider_aws, cdktf_cdktf_provider_google"],
            "1 all": lambda i: gen + [str(SHOP), "--out", str(work / f"all-{i}")],
            "2 aws": lambda i: gen + [str(SHOP), "--env", "prod", "--out", str(work / f"aws-{i}")],
            "2 gcp": lambda i: gen + [str(SHOP), "--env", "staging", "--out", str(work / f"gcp-{i}")],
            "3 again": lambda i: gen + [str(SHOP), "--out", str(up_to_date)],
            "5 x10": lambda i: gen + [str(big), "--out", str(work / f"x10-{i}")],
        }
        if not args.no_proxy:
            proxy = [python, str(Path(__file__).resolve())]
            cases["P1 all"] = lambda i: proxy + ["--proxy-child", "30", "synth", str(SHOP), "--out", str(work / f"p1-{i}")]
            cases["P2 aws"] = lambda i: proxy + ["--proxy-child", "30", "synth", str(SHOP), "--env", "prod",
                                                 "--out", str(work / f"p2-{i}")]
            cases["P5 x10"] = lambda i: proxy + ["--proxy-child", "300", "synth", str(big), "--out", str(work / f"p5-{i}")]
        if not args.no_fresh_cache:
            cases["fresh"] = lambda i: gen + [str(SHOP), "--out", str(work / f"fresh-{i}")]
        times = {case: [] for case in cases}
        peaks = {case: [] for case in cases}
        for i in range(runs):
            for case, command in cases.items():
                env = {"JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(work / f"jsii-cache-{i}")} if case == "fresh" else None
                elapsed, peak = run(command(i), env)
                times[case].append(elapsed)
                peaks[case].append(peak)
                print(f"  round {i + 1}/{runs}  {case:<9} {elapsed:6.2f} s  {peak:5d} MB", file=sys.stderr, flush=True)
                if case == "fresh":
                    shutil.rmtree(work / f"jsii-cache-{i}", ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    median = {case: statistics.median(values) for case, values in times.items()}
    base = median["baseline"]
    targets = {
        "1 all": ("shop.json, every cloud environment, both clouds, empty output", "<= 0.30 x baseline", 0.30),
        "2 aws": ("one AWS environment (prod)", "<= 0.20 x baseline", 0.20),
        "2 gcp": ("one Google environment (staging)", "<= 0.20 x baseline", 0.20),
        "3 again": ("re-run, nothing changed (writes nothing, no jsii)", "<= 0.03 x baseline", 0.03),
    }
    print(f"gen synth benchmark: median of {runs} rounds; {machine()}")
    print(f"{'figure':<9} {'what':<60} {'wall s':>7} {'x base':>7}  {'peak MB':>7}  target")
    print(f"{'baseline':<9} {'import cdktf_cdktf_provider_aws, cdktf_cdktf_provider_google':<60} "
          f"{base:7.2f} {1:7.3f}  {max(peaks['baseline']):7d}")
    for case, (what, target, limit) in targets.items():
        ratio = median[case] / base
        print(f"{case:<9} {what:<60} {median[case]:7.2f} {ratio:7.3f}  {max(peaks[case]):7d}  "
              f"{target}: {'met' if ratio <= limit else 'MISSED'}")
    ours = [c for c in cases if c != "baseline"]
    peak = max(max(peaks[c]) for c in ours if c != "fresh")
    print(f"{'4 memory':<9} {'peak RSS of any one process, every run but fresh':<60} {'':>7} {'':>7}  {peak:7d}  "
          f"<= 700 MB: {'met' if peak <= 700 else 'MISSED'}")
    growth = median["5 x10"] / median["1 all"]
    print(f"{'5 x10':<9} {'ten times shop.json, every cloud environment, empty output':<60} {median['5 x10']:7.2f} "
          f"{median['5 x10'] / base:7.3f}  {max(peaks['5 x10']):7d}  <= 1.5 x figure 1: {growth:.2f} x, "
          f"{'met' if growth <= 1.5 else 'MISSED'}")
    if "P1 all" in cases:
        print("full-stack proxy: every stack also loads ~60 binding modules and creates 150 resources "
              "(1,500 for x10); provisional until the AWS and Google stacks land")
        for case, what, target in (("P1 all", "figure 1 with the proxy", "<= 0.30 x baseline"),
                                   ("P2 aws", "figure 2 (aws) with the proxy", "<= 0.20 x baseline"),
                                   ("P5 x10", "figure 5 with the proxy (1,500 resources a stack)", "")):
            print(f"{case:<9} {what:<60} {median[case]:7.2f} {median[case] / base:7.3f}  {max(peaks[case]):7d}  {target}")
        print(f"{'P5 ratio':<9} {'P5 / P1':<60} {median['P5 x10'] / median['P1 all']:7.2f} {'':>7}  {'':>7}  "
              f"<= 1.5: {'met' if median['P5 x10'] / median['P1 all'] <= 1.5 else 'MISSED'}")
    if "fresh" in cases:
        print(f"{'fresh':<9} {'figure 1 with an empty jsii package cache (first run)':<60} {median['fresh']:7.2f} "
              f"{median['fresh'] / base:7.3f}  {max(peaks['fresh']):7d}  (not a target)")


if __name__ == "__main__":
    main()
