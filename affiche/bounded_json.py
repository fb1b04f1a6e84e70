"""JSON from strangers, parsed with a bound on nesting.

Python's json module recurses once per level and gives up near 1,000 levels with RecursionError,
which is not a ValueError: a 4 KB body of brackets would get past `except ValueError` and crash
whatever parses it. The depth is measured first, without parsing (brackets inside strings do not
count), and anything deeper than any real document is refused as invalid JSON."""

from __future__ import annotations

import json
import re
from typing import Any

#: Deepest nesting of arrays and objects accepted. Real activities nest 4 or 5 levels (an
#: Announce of a Create of a Note with a tag list), API bodies 3.
MAX_DEPTH = 32

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def nesting_depth(body: bytes) -> int:
    """How deep arrays and objects nest in a JSON text, found without parsing it. Unbalanced
    text is left for the parser to refuse."""
    brackets = _STRING.sub(b'""', body).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for char in brackets:
        if char in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class TooDeep(ValueError):
    """JSON nested deeper than MAX_DEPTH: a ValueError, like any other unreadable JSON."""


def loads(body: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads, raising ValueError (TooDeep) for text nested deeper than `max_depth`."""
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if nesting_depth(raw) > max_depth:
        raise TooDeep(f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(body)
    except RecursionError as error:  # cannot happen below MAX_DEPTH; kept as a last guard
        raise TooDeep("JSON nested too deep") from error
