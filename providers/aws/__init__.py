"""AWS: ECS on Fargate, ALB, RDS, S3, SNS/SQS, EventBridge Scheduler, ElastiCache, Secrets Manager."""
