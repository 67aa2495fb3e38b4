"""Generic rewrite driver: rules are small functions `node -> new node | None`,
applied bottom-up to a fixpoint. Rules know nothing of traversal; the driver knows
nothing of the rules. An optional trace records which rule fired where, so a
derivation can be shown step by step.
"""

from __future__ import annotations

from typing import Callable

from .expr import Delta, Product, Sum, Tensor, Zero

Rule = Callable[[Tensor], "Tensor | None"]


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


def fixpoint(t: Tensor, rules: dict, trace: list | None = None) -> Tensor:
    """Apply `rules[type(node)]` bottom-up until none fires. Each rule's result keeps
    the node's free edges and their order. `trace` collects (rule name, before, after)."""
    memo: dict = {}

    def go(node: Tensor) -> Tensor:
        done = memo.get(node)
        if done is not None:
            return done
        start = node
        while True:
            node = node.with_children([go(c) for c in node.children()])
            for rule in rules.get(type(node), ()):
                new = rule(node)
                if new is not None:
                    new = with_edge_order(new, node.edges)
                    if trace is not None:
                        trace.append((rule.__name__, node, new))
                    node = new
                    break
            else:
                break
        memo[start] = node
        memo[node] = node
        return node

    return go(t)


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
            return rule.__name__, with_edge_order(new, t.edges)
    return None
