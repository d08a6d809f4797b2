"""A tiny YAML writer for workflows: dicts (in insertion order), lists, strings, numbers, booleans.

Output is byte-stable and plain: a string is written bare where YAML 1.1 and 1.2 both read
it back as the same string, as a literal block (`|`) where it has several lines, and
otherwise double-quoted (JSON's escaping, which YAML's double-quoted style accepts).
"""

from __future__ import annotations

import json
import re

_BARE = re.compile(r"[A-Za-z_$./~(][A-Za-z0-9_ $./@~(){}'|&!=<>,*+\[\]-]*")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# Words YAML 1.1 reads as booleans or null, and anything that looks like a number.
_SPECIAL = re.compile(r"(?i)(y|n|yes|no|true|false|on|off|null|~)|[-+]?(\.?[0-9].*|\.inf|\.nan)")


class Commented(str):
    """A string written with a comment after it on its line (`uses: owner/action@<sha> # v1.2.3`)."""

    def __new__(cls, text: str, comment: str):
        made = super().__new__(cls, text)
        made.comment = comment
        return made


def scalar(value) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    comment = f" # {value.comment}" if isinstance(value, Commented) else ""
    if (_BARE.fullmatch(text) and not _SPECIAL.fullmatch(text) and not text.endswith(" ")
            and ": " not in text and " #" not in text):
        return text + comment
    return json.dumps(text, ensure_ascii=False) + comment


def _key(key: str) -> str:
    return key if _KEY.fullmatch(key) and not _SPECIAL.fullmatch(key) or key == "on" else json.dumps(key)


def _block(text: str, indent: str) -> str:
    """A literal block: `|-` without a final newline, `|` with one, `|+` keeping several."""
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    chomp = "-" if trailing == 0 else "" if trailing == 1 else "+"
    body = text[:-1] if trailing else text
    lines = [(indent + line) if line else "" for line in body.split("\n")]
    return f"|{chomp}\n" + "\n".join(lines)


def _lines(value, indent: str) -> list[str]:
    out = []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _entry(f"{indent}{_key(key)}:", item, indent)
    else:
        for item in value:
            if isinstance(item, dict) and item:
                first, *rest = _lines(item, indent + "  ")
                out.append(f"{indent}- {first[len(indent) + 2:]}")
                out += rest
            else:
                out += _entry(f"{indent}-", item, indent)
    return out


def _entry(head: str, item, indent: str) -> list[str]:
    if isinstance(item, (dict, list)) and item:
        return [head] + _lines(item, indent + "  ")
    if isinstance(item, (dict, list)):
        return [f"{head} {'{}' if isinstance(item, dict) else '[]'}"]
    if isinstance(item, str) and "\n" in item:
        if any(line != line.rstrip() for line in item.split("\n")) or item.startswith((" ", "\n")):
            return [f"{head} {json.dumps(item, ensure_ascii=False)}"]
        return [f"{head} {_block(item, indent + '  ')}"]
    return [f"{head} {scalar(item)}"]


def dump(document: dict, header: str = "") -> str:
    """The document as YAML text, after `header` (comment lines, each starting with '# ')."""
    return header + "\n".join(_lines(document, "")) + "\n"
