"""Cron jobs: per job a Cloud Run v2 job running the service's image (with its unit's account, variables
and network) and the job's command, started by a Cloud Scheduler job through the Cloud Run Admin API with
an OAuth token of the scheduler's own service account, which may run that job only."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_google.cloud_run_v2_job import CloudRunV2Job
from cdktf_cdktf_provider_google.cloud_run_v2_job_iam_member import CloudRunV2JobIamMember
from cdktf_cdktf_provider_google.cloud_scheduler_job import CloudSchedulerJob

from gen.model import cron as crontab
from gen.model import names
from gen.model.environments import Environment
from providers.google import compute
from providers import blocks
from providers.google.iam import RUN_INVOKER, member

TIME_ZONE = "Etc/UTC"
JOB_TIMEOUT = "3600s"
JOB_MAX_RETRIES = 1
MIN_JOB_CPU = 1  # jobs below 1 vCPU need sidecars; a job gets at least 1 vCPU and 512 MiB
MIN_JOB_MEMORY = 512
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def unix_cron(schedule: str) -> str:
    """Cloud Scheduler takes unix-cron as written: the 5 fields, validated by gen.model.cron."""
    return str(crontab.parse(schedule))


def build(stack: TerraformStack, env: Environment, network, built, grants: dict) -> dict[str, CloudRunV2Job]:
    out = {}
    for job in env.app.cron.values():
        tf = names.terraform_name(job.name)
        unit = env.unit_of(job.service)
        cpu, memory = compute.sizing(env, unit)
        run = CloudRunV2Job(
            stack, f"{tf}_job", name=compute.job_name(env, job.name), location=env.region,
            deletion_protection=env.prevent_destroy,
            template={"template": {
                "service_account": built.accounts.units[unit.name].email,
                "vpc_access": compute.vpc_access(network),
                "timeout": JOB_TIMEOUT, "max_retries": JOB_MAX_RETRIES,
                "containers": blocks([{
                    "name": job.name, "image": unit.image, "args": list(job.command),
                    "env": compute.container_env(env, unit, built),
                    "resources": {"limits": {"cpu": compute.cpu_limit(max(cpu, MIN_JOB_CPU)),
                                             "memory": f"{max(memory, MIN_JOB_MEMORY)}Mi"}},
                }]),
            }},
            depends_on=[built.apis["run"], *grants.get(unit.name, [])])
        scheduler = built.accounts.schedulers[job.name]
        invoker = CloudRunV2JobIamMember(stack, f"{tf}_scheduler_invoker", project=env.project, location=run.location,
                                         name=run.name, role=RUN_INVOKER, member=member(scheduler))
        CloudSchedulerJob(
            stack, f"{tf}_schedule", name=env.name_for(job.name, names.GOOGLE_SCHEDULER_JOB), region=env.region,
            description=f"runs cron job {job.name} of {env.app.name} {env.name}",
            schedule=unix_cron(job.schedule), time_zone=TIME_ZONE, attempt_deadline="320s",
            retry_config={"retry_count": 0},
            http_target={
                "http_method": "POST",
                "uri": f"https://run.googleapis.com/v2/projects/{env.project}/locations/{env.region}/jobs/{run.name}:run",
                "oauth_token": {"service_account_email": scheduler.email, "scope": CLOUD_PLATFORM_SCOPE},
            },
            depends_on=[built.apis["cloudscheduler"], invoker])
        out[job.name] = run
    return out
