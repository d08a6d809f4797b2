"""5-field cron expressions (minute hour day-of-month month day-of-week, UTC).

Parsed once here so both clouds agree on what a schedule means; each provider turns a
`Schedule` into its own syntax (EventBridge Scheduler's 6-field `cron(...)`, Cloud
Scheduler's unix-cron).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


@dataclass(frozen=True)
class Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names for low, low+1, ...


FIELDS = (
    Field("minute", 0, 59),
    Field("hour", 0, 23),
    Field("day-of-month", 1, 31),
    Field("month", 1, 12, tuple(MONTHS)),
    Field("day-of-week", 0, 7, tuple(DAYS) + ("SUN",)),
)

_ITEM = re.compile(r"^(?:(\*)|([0-9A-Za-z]+)(?:-([0-9A-Za-z]+))?)(?:/([0-9]+))?$")


class CronError(ValueError):
    pass


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: each field as written (names upper-cased), known to be valid."""

    minute: str
    hour: str
    day_of_month: str
    month: str
    day_of_week: str

    @property
    def fields(self) -> tuple[str, str, str, str, str]:
        return (self.minute, self.hour, self.day_of_month, self.month, self.day_of_week)

    def __str__(self) -> str:
        return " ".join(self.fields)


def _value(token: str, field: Field) -> int:
    if token.isdigit():
        number = int(token)
    elif token.upper() in field.names:
        number = field.low + field.names.index(token.upper())
    else:
        raise CronError(f"{field.name}: {token!r} is not a number" + (
            f" or a name ({field.names[0]}-{field.names[-2] if field.name == 'day-of-week' else field.names[-1]})"
            if field.names else ""))
    if not field.low <= number <= field.high:
        raise CronError(f"{field.name}: {number} is outside {field.low}-{field.high}")
    return number


def _check_field(text: str, field: Field) -> str:
    for item in text.split(","):
        match = _ITEM.match(item)
        if not match:
            raise CronError(f"{field.name}: {item!r} is not *, a value, a range a-b or a step /n")
        star, start, end, step = match.groups()
        if step is not None and int(step) == 0:
            raise CronError(f"{field.name}: a step of 0 never fires")
        if step is not None and int(step) > field.high:
            raise CronError(f"{field.name}: step {step} is larger than {field.high}")
        if not star:
            low = _value(start, field)
            if end is not None and _value(end, field) < low:
                raise CronError(f"{field.name}: range {item!r} runs backwards")
    return text.upper()


def parse(expression: str) -> Schedule:
    """Parse a 5-field cron expression, or raise CronError saying which field is wrong."""
    parts = expression.split()
    if len(parts) != 5:
        raise CronError(
            f"a schedule has 5 fields (minute hour day-of-month month day-of-week), this one has {len(parts)}")
    return Schedule(*(_check_field(part, field) for part, field in zip(parts, FIELDS)))
