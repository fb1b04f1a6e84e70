"""The part of RFC 8941 (Structured Field Values) that RFC 9421 signatures need.

`Signature-Input`, `Signature` and `Content-Digest` are Structured Field Dictionaries. We parse
them here, and serialise inner lists back, because the RFC 9421 signature base contains the
*canonical* serialisation of the covered components and their parameters
(https://www.rfc-editor.org/rfc/rfc9421#section-2.3), not whatever spacing a sender used.

Only what signatures use is supported: Dictionaries whose members are Items or Inner Lists, with
Parameters, and bare items of every RFC 8941 type (Decimals become floats). Lists and top-level
Items are not parsed. Malformed input raises `ParseError`.
"""

from __future__ import annotations

import base64
import binascii
import string
from dataclasses import dataclass, field

Bare = int | float | str | bytes | bool  # a str may be a Token

_KEY_FIRST = set(string.ascii_lowercase + "*")
_KEY_REST = _KEY_FIRST | set(string.digits + "_-.")
_TOKEN_FIRST = set(string.ascii_letters + "*")
_TOKEN_REST = set(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~:/")
_B64 = set(string.ascii_letters + string.digits + "+/=")


class ParseError(ValueError):
    """The field value is not a valid Structured Field of the expected shape."""


class Token(str):
    """An sf-token (serialised without quotes), as opposed to an sf-string."""


@dataclass(frozen=True)
class Item:
    value: Bare
    params: dict[str, Bare] = field(default_factory=dict)


@dataclass(frozen=True)
class InnerList:
    items: list[Item]
    params: dict[str, Bare] = field(default_factory=dict)


Member = Item | InnerList


class _Parser:
    def __init__(self, text: str) -> None:
        if not text.isascii():
            raise ParseError("structured fields are ASCII")
        self.text = text
        self.pos = 0

    # --- low-level ----------------------------------------------------------------------------
    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        char = self.peek()
        self.pos += 1
        return char

    def skip(self, chars: str) -> None:
        while self.peek() and self.peek() in chars:
            self.pos += 1

    def expect(self, char: str) -> None:
        if self.take() != char:
            raise ParseError(f"expected {char!r} at {self.pos - 1}")

    # --- grammar ------------------------------------------------------------------------------
    def dictionary(self) -> dict[str, Member]:
        members: dict[str, Member] = {}
        self.skip(" ")
        while self.peek():
            key = self.key()
            if self.peek() == "=":
                self.pos += 1
                members[key] = self.member()
            else:
                members[key] = Item(True, self.params())
            self.skip(" \t")
            if not self.peek():
                break
            self.expect(",")
            self.skip(" \t")
            if not self.peek():
                raise ParseError("trailing comma")
        return members

    def member(self) -> Member:
        if self.peek() == "(":
            return self.inner_list()
        return Item(self.bare_item(), self.params())

    def inner_list(self) -> InnerList:
        self.expect("(")
        items: list[Item] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.pos += 1
                return InnerList(items, self.params())
            items.append(Item(self.bare_item(), self.params()))
            if self.peek() not in (" ", ")"):
                raise ParseError(f"unexpected {self.peek()!r} in inner list")

    def params(self) -> dict[str, Bare]:
        params: dict[str, Bare] = {}
        while self.peek() == ";":
            self.pos += 1
            self.skip(" ")
            key = self.key()
            value: Bare = True
            if self.peek() == "=":
                self.pos += 1
                value = self.bare_item()
            params[key] = value
        return params

    def key(self) -> str:
        if not self.peek() or self.peek() not in _KEY_FIRST:
            raise ParseError(f"invalid key at {self.pos}")
        start = self.pos
        while self.peek() and self.peek() in _KEY_REST:
            self.pos += 1
        return self.text[start:self.pos]

    def bare_item(self) -> Bare:
        char = self.peek()
        if char == '"':
            return self.string()
        if char == ":":
            return self.byte_sequence()
        if char == "?":
            return self.boolean()
        if char == "-" or char.isdigit():
            return self.number()
        if char and char in _TOKEN_FIRST:
            return self.token()
        raise ParseError(f"invalid item at {self.pos}")

    def string(self) -> str:
        self.expect('"')
        out: list[str] = []
        while True:
            char = self.take()
            if char == "":
                raise ParseError("unterminated string")
            if char == '"':
                return "".join(out)
            if char == "\\":
                escaped = self.take()
                if escaped not in ('"', "\\"):
                    raise ParseError("invalid escape in string")
                out.append(escaped)
            elif not (" " <= char <= "~"):
                raise ParseError("invalid character in string")
            else:
                out.append(char)

    def byte_sequence(self) -> bytes:
        self.expect(":")
        end = self.text.find(":", self.pos)
        if end < 0:
            raise ParseError("unterminated byte sequence")
        encoded = self.text[self.pos:end]
        self.pos = end + 1
        if not set(encoded) <= _B64:
            raise ParseError("invalid base64 in byte sequence")
        try:
            return base64.b64decode(encoded + "=" * (-len(encoded) % 4))
        except binascii.Error as error:
            raise ParseError("invalid base64 in byte sequence") from error

    def boolean(self) -> bool:
        self.expect("?")
        char = self.take()
        if char not in ("0", "1"):
            raise ParseError("invalid boolean")
        return char == "1"

    def number(self) -> int | float:
        start = self.pos
        if self.peek() == "-":
            self.pos += 1
        self.skip(string.digits + ".")
        text = self.text[start:self.pos]
        try:
            return float(text) if "." in text else int(text)
        except ValueError as error:
            raise ParseError(f"invalid number {text!r}") from error

    def token(self) -> Token:
        start = self.pos
        while self.peek() and self.peek() in _TOKEN_REST:
            self.pos += 1
        return Token(self.text[start:self.pos])


def parse_dictionary(text: str) -> dict[str, Member]:
    """Parse a Structured Field Dictionary; raises ParseError."""
    return _Parser(text.strip()).dictionary()


# --- serialisation (RFC 8941 section 4.1) ---------------------------------------------------

def serialize_bare(value: Bare) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.1f}"
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode() + ":"
    if isinstance(value, Token):
        return str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def serialize_params(params: dict[str, Bare]) -> str:
    out = []
    for key, value in params.items():
        out.append(f";{key}" if value is True else f";{key}={serialize_bare(value)}")
    return "".join(out)


def serialize_item(item: Item) -> str:
    return serialize_bare(item.value) + serialize_params(item.params)


def serialize_inner_list(inner: InnerList) -> str:
    return "(" + " ".join(serialize_item(i) for i in inner.items) + ")" + serialize_params(
        inner.params)
