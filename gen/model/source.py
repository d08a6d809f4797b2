"""Read a model file: strict JSON with the line and column of every value, and no duplicate keys.

Python's json module keeps the last of two equal keys silently and forgets positions; a
user needs both to fix a file. This parser returns the value plus a map from RFC 6901
pointer to (line, column) of each value, and of each object key.
Strings are decoded by json's own scanner, so escapes behave exactly as in the standard.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from dataclasses import dataclass, field
from pathlib import Path

from gen.model.errors import InputError, Problem

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = json.scanner.NUMBER_RE
_MAX_DEPTH = 200


def pointer_join(pointer: str, key: str | int) -> str:
    """Append one reference token to a JSON pointer (RFC 6901 escaping)."""
    return pointer + "/" + str(key).replace("~", "~0").replace("/", "~1")


@dataclass
class Source:
    """A parsed model file: its value and where each part of it stands in the text."""

    path: str
    value: object
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    duplicates: list[Problem] = field(default_factory=list)

    def position(self, pointer: str, key: bool = False) -> tuple[int, int]:
        """Line and column of `pointer`, or of its nearest existing ancestor."""
        if key and pointer in self.key_positions:
            return self.key_positions[pointer]
        while pointer not in self.positions and pointer:
            pointer = pointer.rsplit("/", 1)[0]
        return self.positions.get(pointer, (1, 1))

    def problem(self, pointer: str, message: str, key: bool = False) -> Problem:
        line, column = self.position(pointer, key)
        return Problem(line, column, pointer, message, self.path)


class _Parser:
    def __init__(self, text: str, path: str):
        self.text = text
        self.path = path
        self.positions: dict[str, tuple[int, int]] = {}
        self.key_positions: dict[str, tuple[int, int]] = {}
        self.duplicates: list[Problem] = []
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def where(self, index: int) -> tuple[int, int]:
        lo, hi = 0, len(self._line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._line_starts[mid] <= index:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, index - self._line_starts[lo] + 1

    def fail(self, index: int, message: str) -> InputError:
        line, column = self.where(min(index, len(self.text)))
        return InputError(f"{self.path}:{line}:{column}: not valid JSON: {message}", self.path, line, column)

    def skip(self, i: int) -> int:
        return _WS.match(self.text, i).end()

    def parse(self) -> object:
        i = self.skip(0)
        if i == len(self.text):
            raise InputError(f"{self.path}: the file is empty", self.path)
        value, i = self.value(i, "", 0)
        i = self.skip(i)
        if i != len(self.text):
            raise self.fail(i, "unexpected text after the end of the document")
        return value

    def value(self, i: int, pointer: str, depth: int) -> tuple[object, int]:
        if depth > _MAX_DEPTH:
            raise self.fail(i, f"nested deeper than {_MAX_DEPTH} levels")
        self.positions[pointer] = self.where(i)
        text = self.text
        char = text[i : i + 1]
        if char == "{":
            return self.object(i + 1, pointer, depth)
        if char == "[":
            return self.array(i + 1, pointer, depth)
        if char == '"':
            return self.string(i + 1)
        for literal, result in (("true", True), ("false", False), ("null", None)):
            if text.startswith(literal, i):
                return result, i + len(literal)
        match = _NUMBER.match(text, i)
        if match:
            integer, fraction, exponent = match.groups()
            if fraction or exponent:
                return float(integer + (fraction or "") + (exponent or "")), match.end()
            return int(integer), match.end()
        if not char:
            raise self.fail(i, "the document ends where a value was expected")
        raise self.fail(i, f"unexpected {char!r} where a value was expected")

    def string(self, i: int) -> tuple[str, int]:
        try:
            value, end = json.decoder.scanstring(self.text, i, True)
        except json.JSONDecodeError as e:
            raise self.fail(e.pos, e.msg.lower().removesuffix(" at")) from None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise self.fail(i, "a \\u escape encodes a lone surrogate, which is not text") from None
        return value, end

    def object(self, i: int, pointer: str, depth: int) -> tuple[dict, int]:
        result: dict = {}
        i = self.skip(i)
        if self.text[i : i + 1] == "}":
            return result, i + 1
        while True:
            if self.text[i : i + 1] != '"':
                raise self.fail(i, "expected a key in double quotes")
            key_at = i
            key, i = self.string(i + 1)
            child = pointer_join(pointer, key)
            if key in result:
                line, column = self.where(key_at)
                first = self.key_positions[child]
                self.duplicates.append(
                    Problem(line, column, child,
                            f"duplicate key {key!r} (first at line {first[0]}); "
                            "JSON parsers disagree on which one wins, so gen rejects it",
                            self.path))
            else:
                self.key_positions[child] = self.where(key_at)
            i = self.skip(i)
            if self.text[i : i + 1] != ":":
                raise self.fail(i, "expected ':' after the key")
            i = self.skip(i + 1)
            # A duplicate's value is parsed for syntax only; positions keep the first one.
            shadow = child if key not in result else child + "\0duplicate"
            value, i = self.value(i, shadow, depth + 1)
            result.setdefault(key, value)
            i = self.skip(i)
            char = self.text[i : i + 1]
            if char == "}":
                return result, i + 1
            if char != ",":
                raise self.fail(i, "expected ',' or '}' after a member")
            i = self.skip(i + 1)

    def array(self, i: int, pointer: str, depth: int) -> tuple[list, int]:
        result: list = []
        i = self.skip(i)
        if self.text[i : i + 1] == "]":
            return result, i + 1
        while True:
            value, i = self.value(i, pointer_join(pointer, len(result)), depth + 1)
            result.append(value)
            i = self.skip(i)
            char = self.text[i : i + 1]
            if char == "]":
                return result, i + 1
            if char != ",":
                raise self.fail(i, "expected ',' or ']' after an element")
            i = self.skip(i + 1)


def parse(text: str, path: str = "<text>") -> Source:
    """Parse JSON text; raise InputError (one line) when it is not JSON."""
    parser = _Parser(text, path)
    value = parser.parse()
    return Source(path, value, parser.positions, parser.key_positions, parser.duplicates)


def read(path: str | Path) -> Source:
    """Read and parse a model file; every failure to get a JSON object is one InputError line."""
    shown = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file", shown) from None
    except IsADirectoryError:
        raise InputError(f"{shown}: is a directory, not a model file", shown) from None
    except OSError as e:
        raise InputError(f"{shown}: cannot be read: {e.strerror or e}", shown) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{shown}: not UTF-8 text (byte {e.start} is invalid)", shown) from None
    source = parse(text, shown)
    if not isinstance(source.value, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
            type(source.value), "a number")
        raise InputError(f"{shown}:1:1: the model must be a JSON object, not {kind}", shown, 1, 1)
    return source
