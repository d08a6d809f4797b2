"""Errors a user can act on. The CLI prints them without a traceback and exits 2."""

from __future__ import annotations

from dataclasses import dataclass


EXIT_INVALID = 2


class InputError(Exception):
    """A file or argument the user gave cannot be used; the message says why, in one line."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.file, self.line, self.column = file, line, column

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "pointer": None, "message": str(self)}


@dataclass(frozen=True, order=True)
class Problem:
    """One validation error in a model file, located by line, column and RFC 6901 pointer."""

    line: int
    column: int
    pointer: str
    message: str
    file: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.pointer or '/'}: {self.message}"

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "pointer": self.pointer,
            "message": self.message,
        }


class ModelError(InputError):
    """The model file is invalid; carries every problem found, sorted by position."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems), self.problems[0].file if self.problems else None)
