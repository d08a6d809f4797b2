"""Google Cloud: Cloud Run, global load balancer, Cloud SQL, Cloud Storage, Pub/Sub, Cloud Scheduler,
Memorystore, Secret Manager."""
