"""Which environments a synth covers (no cdktf, no jsii).

May import: `gen.model`.
"""

from __future__ import annotations

from dataclasses import dataclass

from gen.model.environments import Environment

@dataclass(frozen=True)
class Selection:
    environments: list[Environment]
    skipped: list[tuple[str, str]]  # (environment, why it is left out)


LOCAL_NOT_YET = "local environments are not supported yet (they come with the local provider)"


def select(app, names: list[str] | None, from_env: str | None = None) -> Selection:
    """The environments a synth covers: the named ones, or every cloud environment of the model.

    A preview environment is a template: it is synthesized as `pr:<number>`, never by itself.
    """
    from gen.model.environments import resolve
    from gen.model.errors import InputError

    if not names:
        environments, skipped = [], []
        for spec in app.environments.values():
            if spec.type == "local":
                skipped.append((spec.name, LOCAL_NOT_YET))
            elif spec.type == "preview":
                skipped.append((spec.name, "a preview template: synthesize one with --env pr:<number>"))
            else:
                environments.append(resolve(app, spec.name))
        return Selection(environments, skipped)
    environments = []
    for name in dict.fromkeys(names):
        env = resolve(app, name, from_env)
        if env.type == "local":
            raise InputError(f"{name}: {LOCAL_NOT_YET}")
        if env.type == "preview" and env.pull_request is None:
            raise InputError(f"{name}: is the template for preview environments; synthesize one with --env pr:<number>")
        environments.append(env)
    return Selection(environments, [])
