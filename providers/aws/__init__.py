"""AWS: ECS on Fargate, ALB, RDS, S3, SNS/SQS, EventBridge Scheduler, ElastiCache, Secrets Manager.

`stack.build` makes the stack; each other module adds one resource kind, but `bootstrap`,
which builds the one-time stack of `gen bootstrap` (state bucket and CI trust). May import: cdktf,
`cdktf_cdktf_provider_aws`, `gen.model` and `providers` (the shared helpers)."""
