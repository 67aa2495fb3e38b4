"""The node kinds, and the one way to dispatch on them: a `KindTable` per pass.

Every pass that treats node kinds differently (differentiation, canonical form,
evaluation, export, printing, drawing, test strategies) keeps one `KindTable`.
Tables list themselves in `TABLES`, so a test checks that a new node kind is
covered by every pass.

>>> from tensorgrad.expr import Variable
>>> NAMES = KindTable("example names")
>>> @NAMES.register(*NODE_KINDS)
... def _name(t):
...     return type(t).__name__.lower()
>>> NAMES(Variable("x", "i"))
'variable'
"""

from __future__ import annotations

from .expr import Delta, Derivative, Function, Product, Sum, Variable, Zero

#: Every concrete node class, leaves first.
NODE_KINDS = (Variable, Delta, Zero, Product, Sum, Function, Derivative)

#: Every table made, by name (the completeness test reads it).
TABLES: dict = {}


class KindTable:
    """One entry per node kind. `table.register(Kind, ...)` decorates the entry
    (a function or a method, returned unchanged); `table.of(t)` is the entry for
    `type(t)` and `table(t, *args)` calls it."""

    def __init__(self, name: str):
        self.name = name
        self.entries: dict = {}
        TABLES[name] = self

    def register(self, *kinds):
        for kind in kinds:
            if kind not in NODE_KINDS:
                raise TypeError(f"{self.name}: {kind!r} is not a node kind")

        def decorate(entry):
            self.entries.update(dict.fromkeys(kinds, entry))
            return entry
        return decorate

    def of(self, t):
        entry = self.entries.get(type(t))
        if entry is None:
            raise TypeError(f"{self.name} has no entry for {type(t).__name__} nodes")
        return entry

    def __call__(self, t, *args, **kwargs):
        return self.of(t)(t, *args, **kwargs)

    def missing(self) -> list:
        """The node kinds without an entry."""
        return [k.__name__ for k in NODE_KINDS if k not in self.entries]

    def __repr__(self):
        return f"KindTable({self.name!r}: {len(self.entries)} of {len(NODE_KINDS)} kinds)"
