"""Generic rewrite driver: rules are small functions `node -> new node | None`,
applied bottom-up to a fixpoint. Rules know nothing of traversal; the driver knows
nothing of the rules. An optional trace records which rule fired where, so a
derivation can be shown step by step.
"""

from __future__ import annotations

from typing import Callable

from .expr import Delta, Product, Sum, Tensor, Zero

Rule = Callable[[Tensor], "Tensor | None"]


def speculative(rule: Rule) -> Rule:
    """Mark a rule whose result is kept only if, simplified, it costs less than the
    node it rewrites (see `cost`): e.g. distributing a product over a sum, which
    is right when terms then cancel and wrong when it copies a large factor."""
    rule.speculative = True
    return rule


def cost(t: Tensor) -> int:
    """What the driver minimises when it tries a speculative rule: tree nodes."""
    return t.size()


def with_edge_order(t: Tensor, edges: tuple) -> Tensor:
    """`t` with its free edges listed in the order `edges` (a permutation of t.edges)."""
    if t.edges == tuple(edges):
        return t
    if isinstance(t, Product):
        return Product(t.factors, edges)
    if isinstance(t, Sum):
        return Sum(t.terms, t.weights, edges)
    if isinstance(t, Zero):
        return Zero(edges, t.dims)
    if isinstance(t, Delta):
        return Delta(t.dim, *edges)
    return Product((t,), edges)


class Rewriter:
    """Applies `rules[type(node)]` bottom-up until none fires, memoised by node, so a
    sub-network that occurs many times is simplified once. Each rule's result keeps
    the node's free edges and their order. `trace` collects (rule name, before,
    after). A speculative rule's result is first brought to its fixpoint by
    `settle` (default: this rewriter) and kept only if it costs less."""

    def __init__(self, rules: dict, trace: list | None = None, settle: Callable | None = None):
        self.rules, self.trace, self.memo = rules, trace, {}
        self.settle = settle or self

    def __call__(self, node: Tensor) -> Tensor:
        memo = self.memo
        done = memo.get(node)
        if done is not None:
            return done
        start = node
        while True:
            node = node.with_children([self(c) for c in node.children()])
            for rule in self.rules.get(type(node), ()):
                new = rule(node)
                if new is None:
                    continue
                new = with_edge_order(new, node.edges)
                if getattr(rule, "speculative", False):
                    new = self(self.settle(new))
                    if cost(new) >= cost(node):
                        continue
                if self.trace is not None:
                    self.trace.append((rule.__name__, node, new))
                node = new
                break
            else:
                break
        memo[start] = node
        memo[node] = node
        return node


def fixpoint(t: Tensor, rules: dict, trace: list | None = None, settle: Callable | None = None) -> Tensor:
    """`t` rewritten by `rules` to a fixpoint (see Rewriter)."""
    return Rewriter(rules, trace, settle)(t)


def rewrite_once(t: Tensor, rules: dict) -> tuple[str, Tensor] | None:
    """Apply the first rule that fires anywhere (children first); (rule name, new whole
    expression), or None at a fixpoint. Slow; for showing derivations step by step."""
    children = t.children()
    for k, c in enumerate(children):
        step = rewrite_once(c, rules)
        if step is not None:
            name, new_c = step
            return name, t.with_children(children[:k] + (new_c,) + children[k + 1:])
    for rule in rules.get(type(t), ()):
        new = rule(t)
        if new is not None:
            if getattr(rule, "speculative", False) and cost(fixpoint(new, rules)) >= cost(t):
                continue
            return rule.__name__, with_edge_order(new, t.edges)
    return None
