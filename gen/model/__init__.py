"""The app model: from a file to a resolved environment.

`source` reads JSON with positions and refuses duplicate keys; `validate` checks it against
the JSON Schema (`schemas/`) and every rule the contract implies, then `model` freezes it;
`environments` resolves one environment (type defaults, overrides, process allocation,
previews); `names`, `cron` and `wiring` are the pure rules both validation and the stacks
follow (cloud names, schedules, injected variables); `clouds` holds what each cloud can
express; `errors` the two error types and exit statuses; `trust` the names of the CI roles
and service accounts that `gen bootstrap` makes and the generated workflows assume.

May import: the standard library, jsonschema and `schemas`. Never cdktf, `providers`,
`gen.synth`, `gen.review` or `gen.cli`: everything else builds on this package.
"""
