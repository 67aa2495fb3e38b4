"""Tokenizer of matrix notation and its error type (see :mod:`tensorgrad.notation.parse`)."""

from __future__ import annotations

from dataclasses import dataclass


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class NotationError(ValueError):
    """A syntax, shape or unknown-name error in matrix notation.

    ``column`` is 1-based; the message shows the text with a caret under it.
    """

    def __init__(self, text: str, start: int, message: str, end: int | None = None):
        self.text = text
        self.start = start
        self.end = start + 1 if end is None or end <= start else end
        self.column = start + 1
        self.reason = message
        marker = "^" * max(1, min(self.end, len(text) + 1) - start)
        super().__init__(f"{message} (column {self.column})\n  {text}\n  {' ' * start}{marker}")


# ---------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------

_SUPERSCRIPT_DIGITS = {"⁰": 0, "¹": 1, "²": 2, "³": 3, "⁴": 4, "⁵": 5, "⁶": 6, "⁷": 7, "⁸": 8, "⁹": 9}
_DIGITS = "0123456789"
_SUBSCRIPT_DIGITS = "₀₁₂₃₄₅₆₇₈₉"  # inside names: h₁ (the printer's named intermediates)
_NOT_IDENT = set("ᵀ⁻") | set(_SUPERSCRIPT_DIGITS)

# single characters -> token kind
_SIMPLE = {
    "+": "+",
    "-": "-",
    "−": "-",  # U+2212 minus
    "*": "*",
    "·": "*",
    "⋅": "*",
    "/": "/",
    "^": "^",
    "@": "*",
    "'": "'",
    "ᵀ": "'",
    "(": "(",
    ")": ")",
    ",": ",",
    "⊙": ".*",
    "∘": ".*",
    "⊘": "./",
    "⊗": "⊗",
    "‖": "||",
}


@dataclass(frozen=True)
class Token:
    kind: str  # NUM NAME SUP + - * / ^ .* ./ .^ ' ( ) , || END
    text: str
    start: int
    end: int
    value: float | int | None = None


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; raises :class:`NotationError` on a bad character."""
    if not isinstance(text, str):
        raise TypeError(f"matrix notation must be a string, got {type(text).__name__}")
    tokens: list[Token] = []
    pos, n = 0, len(text)
    while pos < n:
        c = text[pos]
        if c.isspace():
            pos += 1
            continue
        start = pos
        nxt = text[pos + 1] if pos + 1 < n else ""
        if c in _DIGITS or (c == "." and nxt != "" and nxt in _DIGITS):
            while pos < n and text[pos] in _DIGITS:
                pos += 1
            if pos < n and text[pos] == "." and pos + 1 < n and text[pos + 1] in _DIGITS:
                pos += 1
                while pos < n and text[pos] in _DIGITS:
                    pos += 1
            if pos < n and text[pos] in "eE":
                p = pos + 1
                if p < n and text[p] in "+-":
                    p += 1
                if p < n and text[p] in _DIGITS:
                    pos = p
                    while pos < n and text[pos] in _DIGITS:
                        pos += 1
            literal = text[start:pos]
            value: float | int = float(literal)
            if value.is_integer() and abs(value) < 2**53:
                value = int(value)
            tokens.append(Token("NUM", literal, start, pos, value))
            continue
        if (c.isalpha() or c == "_") and c not in _NOT_IDENT:
            while pos < n and (text[pos].isalpha() or text[pos] == "_" or text[pos] in _DIGITS
                               or text[pos] in _SUBSCRIPT_DIGITS) and text[pos] not in _NOT_IDENT:
                pos += 1
            tokens.append(Token("NAME", text[start:pos], start, pos))
            continue
        if c == ".":
            if nxt in "*/^":
                tokens.append(Token("." + nxt, text[pos : pos + 2], start, pos + 2))
                pos += 2
                continue
            if nxt == "T" and not (pos + 2 < n and (text[pos + 2].isalnum() or text[pos + 2] == "_")):
                tokens.append(Token("'", ".T", start, pos + 2))
                pos += 2
                continue
            raise NotationError(text, start, "syntax error: expected '.*', './', '.^', '.T' or a number after '.'")
        if c == "*" and nxt == "*":
            tokens.append(Token("^", "**", start, pos + 2))
            pos += 2
            continue
        if c == "|" and nxt == "|":
            tokens.append(Token("||", "||", start, pos + 2))
            pos += 2
            continue
        if c == "⁻" or c in _SUPERSCRIPT_DIGITS:
            # a superscript exponent: ⁻ᵀ (inverse transpose) or [⁻]digits
            if c == "⁻" and nxt == "ᵀ":
                tokens.append(Token("SUPT", text[pos : pos + 2], start, pos + 2, -1))
                pos += 2
                continue
            sign = 1
            if c == "⁻":
                sign = -1
                pos += 1
            digits = ""
            while pos < n and text[pos] in _SUPERSCRIPT_DIGITS:
                digits += str(_SUPERSCRIPT_DIGITS[text[pos]])
                pos += 1
            if not digits:
                raise NotationError(text, pos, "syntax error: expected a superscript digit after '⁻'")
            tokens.append(Token("SUP", text[start:pos], start, pos, sign * int(digits)))
            continue
        if c in "𝟏𝟎":  # the printer's all-ones / zero vector: read it as vector(1) / vector(0)
            v = 1 if c == "𝟏" else 0
            tokens += [Token("NAME", "vector", start, pos + 1), Token("(", "(", start, pos + 1),
                       Token("NUM", str(v), start, pos + 1, v), Token(")", ")", start, pos + 1)]
            pos += 1
            continue
        if c in _SIMPLE:
            tokens.append(Token(_SIMPLE[c], c, start, pos + 1))
            pos += 1
            continue
        raise NotationError(text, start, f"syntax error: unexpected character {c!r}")
    tokens.append(Token("END", "", n, n))
    return tokens
