"""The app model's JSON Schema and the environment-type defaults, shipped as data."""

import json
from functools import cache
from importlib import resources


@cache
def load(name: str) -> dict:
    """Load `<name>.json` from this package (`app.schema` or `defaults`)."""
    return json.loads(resources.files(__name__).joinpath(f"{name}.json").read_text("utf-8"))
