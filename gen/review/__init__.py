"""Reviewing changes: `plan` reads `terraform show -json` output, `changes` works out attribute
changes with sensitive values redacted, `risks` classifies them with the data in
`risk_tables`, `diff` compares two synthesized output folders (or a model at a git ref with
the model now), and `render` prints a review as text, markdown or JSON.

May import: `gen.model` (an environment's approval setting) and, for `gen diff --base`,
`gen.synth`. Never `providers` or cdktf directly, and nothing imports this package but
`gen.cli`.
"""
