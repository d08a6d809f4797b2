"""CI pipelines generated from the model: `gen ci github` writes GitHub Actions workflows.

`github` builds the workflows (pull-request plans, gated applies of saved plans, previews,
drift) as plain dicts and lists; `actions` holds the pinned actions and the steps every job
shares; `scripts` the shell each step runs; `yaml` writes them as byte-stable YAML text.
docs/ci.md explains the decisions.

May import: `gen.model` (the model, resolved environments, and `gen.model.trust`, the names
`gen bootstrap` gives the CI roles and service accounts). Never cdktf, `gen.synth`,
`gen.review` or `gen.cli`.
"""
