"""Google Cloud: Cloud Run, global load balancer, Cloud SQL, Cloud Storage, Pub/Sub, Cloud Scheduler,
Memorystore, Secret Manager.

`stack.build` makes the stack; each other module adds one resource kind, but `bootstrap`,
which builds the one-time stack of `gen bootstrap` (state bucket and CI trust). May import: cdktf,
`cdktf_cdktf_provider_google`, `gen.model` and `providers` (the shared helpers)."""
