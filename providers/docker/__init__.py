"""Local environments on Docker (kreuzwerker/docker): one network, Postgres and Redis stand-ins, an
emulator of the cloud named by `emulate` (moto, or fake-gcs-server and the Pub/Sub emulator), one
container per deployment unit and a reverse proxy at http://localhost:4000.

`stack.build` makes the stack; each other module adds one resource kind, with the module names
the clouds use where the kind exists locally. The names, ports and checks `gen env show` and
validation share live in `gen.model.clouds.local`. May import: cdktf,
`cdktf_cdktf_provider_docker`, `gen.model` and `providers` (the shared helpers)."""
