"""Canonical forms: an expression as a labelled graph, a structural hash to bucket,
and an exact isomorphism check (networkx) to decide.

The graph has a node per leaf tensor, per edge ("wire") and per scope (sum, term,
function, derivative, root). A leaf links to each of its wires with the slot
label (its declared edge position; copy tensors use one label for all slots, being
symmetric) and to its enclosing scope. Internal edge names never enter the graph;
free edge names label the root's wires. So two expressions get isomorphic graphs
exactly when they are the same network up to renaming internal edges and
reordering factors and terms.

>>> import tensorgrad as tg
>>> A = tg.Variable("A", "i", "j")
>>> canonical_key(A) == canonical_key(A.rename(i="j", j="i"))
False
"""

from __future__ import annotations

import hashlib
import itertools

import networkx as nx

from .expr import Delta, Derivative, Function, Product, Sum, Tensor, Variable, Zero
from .kinds import KindTable


def normal_number(w):
    """2.0 -> 2, so that equal numbers also print (and hash) the same."""
    if isinstance(w, float) and w.is_integer():
        return int(w)
    return w


def _stable_hash(obj) -> int:
    """A hash that is the same in every process (Python's str hash is salted)."""
    return int.from_bytes(hashlib.blake2b(repr(obj).encode(), digest_size=8).digest(), "big")


#: the labelled graph of each node kind (exact isomorphism) and its name-blind structure hash
GRAPH = KindTable("canonical graph")
STRUCTURE = KindTable("canonical structure")


class _Builder:
    def __init__(self, named_free: bool):
        self.g = nx.Graph()
        self.ids = itertools.count()
        self.named_free = named_free

    def node(self, label) -> int:
        n = next(self.ids)
        self.g.add_node(n, label=label)
        return n

    def link(self, a, b, label):
        self.g.add_edge(a, b, label=label)

    def build(self, t: Tensor, scope: int, wires: dict):
        GRAPH.of(t)(self, t, scope, wires)

    def _leaf(self, t, scope, wires, label, slot_labels):
        n = self.node(label)
        self.link(scope, n, "member")
        for e, slot in zip(t.edges, slot_labels):
            self.link(n, wires[e], slot)

    @GRAPH.register(Variable)
    def _variable(self, t: Variable, scope, wires):
        # the slots of a symmetry group share one label: S and Sᵀ are one graph
        self._leaf(t, scope, wires, _variable_label(t), [k if g is None else ("group", g)
                                                         for k, g in enumerate(t.slot_groups())])

    @GRAPH.register(Delta)
    def _delta(self, t: Delta, scope, wires):
        self._leaf(t, scope, wires, ("delta", t.dim, len(t.edges)), ["copy"] * len(t.edges))

    @GRAPH.register(Zero)
    def _zero(self, t: Zero, scope, wires):
        self._leaf(t, scope, wires, ("zero", len(t.edges)), ["zero"] * len(t.edges))

    @GRAPH.register(Product)
    def _product(self, t: Product, scope, wires):
        inner = dict(wires)
        for e in t.contracted():
            inner[e] = self.node(("wire",))
        for f in t.factors:
            self.build(f, scope, {e: inner[e] for e in f.edges})

    @GRAPH.register(Sum)
    def _sum(self, t: Sum, scope, wires):
        s = self.node(("sum", len(t.terms)))
        self.link(scope, s, "member")
        for term, w in zip(t.terms, t.weights):
            tn = self.node(("term", normal_number(w)))
            self.link(s, tn, "term")
            self.build(term, tn, wires)

    @GRAPH.register(Function)
    def _function(self, t: Function, scope, wires):
        f = self.node(("fn", t.spec.name, tuple(normal_number(p) for p in t.params)))
        self.link(scope, f, "member")
        inner = {}
        for e in t.arg.edges:
            inner[e] = wires[e] if e in wires else self.node(("wire",))
            if e in t.core:
                role = ("core", 0 if t.spec.symmetric_core else t.core.index(e))
            else:
                role = ("batch",)
            self.link(f, inner[e], role)
        self.build(t.arg, f, inner)

    @GRAPH.register(Derivative)
    def _derivative(self, t: Derivative, scope, wires):
        d = self.node(("derivative", t.var.identity))
        self.link(scope, d, "member")
        for k, e in enumerate(t.new_edges):
            self.link(d, wires[e], ("new", k))
        self.build(t.expr, d, {e: wires[e] for e in t.expr.edges})


def to_graph(t: Tensor, named_free: bool = True) -> nx.Graph:
    """The labelled graph of `t`. Free wires carry their edge names if `named_free`."""
    b = _Builder(named_free)
    root = b.node(("root",))
    wires = {}
    for e, d in zip(t.edges, t.dim_symbols):
        wires[e] = b.node(("free", e, d) if named_free else ("free", d))
    b.build(t, root, wires)
    return b.g


def _structure(t: Tensor) -> tuple:
    """(shape hash, {free edge: role hash}), computed from the children's structures
    so each node costs only its own size. The shape ignores all edge names; a role
    says where an edge attaches (slot of a variable, position in a network), also
    without names. Isomorphic expressions get equal structures."""
    out = t._cache.get("structure")
    if out is None:
        out = STRUCTURE(t)
        t._cache["structure"] = out
    return out


def _leaf_structure(label, roles):
    return _stable_hash(label), roles


def _variable_label(t: Variable) -> tuple:
    label = ("var", t.name, t.original, t.dim_symbols)
    return label + (t.symmetries,) if t.symmetries else label


@STRUCTURE.register(Variable)
def _s_variable(t: Variable):
    # the slots of a symmetry group share one role: S and Sᵀ have one structure
    return _leaf_structure(_variable_label(t), {e: _stable_hash(("slot", k) if g is None else ("group", g))
                                                for k, (e, g) in enumerate(zip(t.edges, t.slot_groups()))})


@STRUCTURE.register(Delta)
def _s_delta(t: Delta):
    return _leaf_structure(("delta", t.dim, len(t.edges)), {e: _stable_hash("copy") for e in t.edges})


@STRUCTURE.register(Zero)
def _s_zero(t: Zero):
    return _leaf_structure(("zero", tuple(sorted(t.dim_symbols))), {e: _stable_hash(("zero", d)) for e, d in zip(t.edges, t.dim_symbols)})


@STRUCTURE.register(Function)
def _s_function(t: Function):
    arg_shape, arg_roles = _structure(t.arg)

    def kind(e):
        return ("core", 0 if t.spec.symmetric_core else t.core.index(e)) if e in t.core else ("batch",)

    inputs = tuple(sorted((arg_roles[e], kind(e)) for e in t.arg.edges))
    shape = _stable_hash(("fn", t.spec.name, tuple(normal_number(p) for p in t.params), arg_shape, inputs))
    return shape, {e: _stable_hash((arg_roles[e], kind(e))) for e in t.edges}


@STRUCTURE.register(Derivative)
def _s_derivative(t: Derivative):
    shape, roles = _structure(t.expr)
    new = {e: _stable_hash(("new", k)) for k, e in enumerate(t.new_edges)}
    return _stable_hash(("derivative", t.var.identity, shape, tuple(sorted(roles.values())))), {**roles, **new}


@STRUCTURE.register(Sum)
def _s_sum(t: Sum):
    parts = [(normal_number(w), *_structure(term)) for term, w in zip(t.terms, t.weights)]
    roles = {e: _stable_hash(tuple(sorted((w, shape, r[e]) for w, shape, r in parts))) for e in t.edges}
    shape = _stable_hash(("sum", tuple(sorted((w, shape) for w, shape, _ in parts)), tuple(sorted(roles.values()))))
    return shape, roles


def refine_colours(p: Product, wire_colour) -> tuple[list, dict]:
    """Colour refinement on a product's own graph: factor nodes start from their
    shape, wires from `wire_colour(edge)`, and a wire links to a factor by the role
    of the edge in that factor. Returns (colour per factor, colour per edge).

    The rounds hash tuples of ints only: Python's tuple/int hash is not salted, so it
    is as stable across processes as _stable_hash, and much cheaper."""
    structs = [_structure(f) for f in p.factors]
    wires: dict = {}
    for k, (f, (_, roles)) in enumerate(zip(p.factors, structs)):
        for e in f.edges:
            wires.setdefault(e, []).append((k, roles[e]))
    colour_f = [shape for shape, _ in structs]
    colour_w = {e: wire_colour(e) for e in wires}
    n_classes = -1
    for _ in range(len(colour_f) + len(wires) + 1):
        colour_w = {e: hash((colour_w[e], tuple(sorted((r, colour_f[k]) for k, r in ends))))
                    for e, ends in wires.items()}
        colour_f = [hash((colour_f[k], tuple(sorted((structs[k][1][e], colour_w[e]) for e in f.edges))))
                    for k, f in enumerate(p.factors)]
        n = len(set(colour_f) | set(colour_w.values()))
        if n == n_classes:
            break
        n_classes = n
    return colour_f, colour_w


_WIRE = _stable_hash("wire")


@STRUCTURE.register(Product)
def _s_product(t: Product):
    if len(t.factors) == 1:  # a product wrapping one factor only reorders its edges
        return _structure(t.factors[0])
    colour_f, colour_w = refine_colours(t, lambda e: _WIRE)
    roles = {e: colour_w[e] for e in t.edges}
    return _stable_hash(("product", tuple(sorted(colour_f)), tuple(sorted(colour_w.values())))), roles


def canonical_key(t: Tensor) -> int:
    """Structural hash invariant under renaming internal edges and reordering
    factors/terms; free edge names count. Equal keys are necessary, not sufficient,
    for `isomorphic` (on flattened expressions, as simplify leaves them)."""
    shape, roles = _structure(t)
    return _stable_hash((shape, tuple(sorted((e, t.dims[e], r) for e, r in roles.items()))))


def shape_key(t: Tensor) -> int:
    """Like canonical_key but blind to the names of free edges."""
    return _structure(t)[0]


def graph_of(t: Tensor) -> nx.Graph:
    """The labelled graph of `t` (cached), each node also given its refined colour
    (see `_colour_graph`)."""
    g = t._cache.get("graph")
    if g is None:
        g = to_graph(t)
        _colour_graph(g)
        t._cache["graph"] = g
    return g


def _refine(adj: dict, colour: dict) -> dict:
    """Colour refinement from an initial colouring until the number of classes stops
    growing. Deterministic in (adjacency, colours) alone, so isomorphic inputs give
    equal results: an isomorphism maps every node to one of the same colour."""
    n_classes = len(set(colour.values()))
    for _ in range(len(colour)):
        new = {n: hash((colour[n], tuple(sorted((colour[m], lab) for m, lab in ends)))) for n, ends in adj.items()}
        k = len(set(new.values()))
        colour = new
        if k == n_classes:
            break
        n_classes = k
    return colour


def _colour_graph(g: nx.Graph) -> None:
    """Graph attributes for `isomorphic`: "adj" (node -> [(neighbour, edge label
    hash)]), "colour" (refined colour per node) and "colours" (their sorted multiset).
    Bare labels leave every wire, term and repeated sub-network alike (e.g. the same
    inverse(X) three times in a Hessian term), and a generic matcher then took
    seconds per pair on expanded second derivatives."""
    adj = {n: [(m, hash(lab)) for m, lab in ((m, g.edges[n, m]["label"]) for m in g[n])] for n in g}
    colour = _refine(adj, {n: hash(d["label"]) for n, d in g.nodes(data=True)})
    nx.set_node_attributes(g, colour, "colour")
    g.graph.update(adj=adj, colour=colour, colours=sorted(colour.values()))


def _histogram(colour: dict) -> list:
    return sorted(colour.values())


def _match(ga: nx.Graph, gb: nx.Graph) -> bool:
    """Is there an isomorphism ga -> gb (labels kept)? Individualise and refine
    greedily: while some colour class has several nodes, fix one node of the
    smallest class in ga to the first same-coloured node of gb that keeps the
    refined colour multisets equal; once every class is a single node the only
    candidate map is checked edge by edge. The classes are usually the orbits of
    the automorphism group, where any choice works; if the greedy path fails, an
    exact VF2 search (nodes matched by colour) decides."""
    ca, cb = ga.graph["colour"], gb.graph["colour"]
    adj_a, adj_b = ga.graph["adj"], gb.graph["adj"]
    chosen = False
    while True:
        classes: dict = {}
        for n, c in ca.items():
            classes.setdefault(c, []).append(n)
        ambiguous = [(len(ns), c) for c, ns in classes.items() if len(ns) > 1]
        if not ambiguous:
            where = {c: n for n, c in cb.items()}
            m = {n: where[c] for n, c in ca.items()}
            if all(ga.nodes[u]["label"] == gb.nodes[m[u]]["label"]
                   and {(m[v], lab) for v, lab in ends} == set(adj_b[m[u]]) for u, ends in adj_a.items()):
                return True
            break
        _, c = min(ambiguous)
        mark = hash(("individual", c))
        ra = _refine(adj_a, {**ca, classes[c][0]: mark})
        hist = _histogram(ra)
        for b0 in (n for n, cn in cb.items() if cn == c):
            rb = _refine(adj_b, {**cb, b0: mark})
            if _histogram(rb) == hist:
                ca, cb = ra, rb
                break
        else:
            if not chosen:
                return False  # no node of gb can play the part of classes[c][0]
            break  # an earlier choice may have been wrong
        chosen = True
    return nx.is_isomorphic(ga, gb, node_match=_same_colour, edge_match=_same_label)


def _same_colour(a, b):
    return a["colour"] == b["colour"]


def _same_label(a, b):
    return a["label"] == b["label"]


def isomorphic(a: Tensor, b: Tensor) -> bool:
    """Exact test: same network up to internal edge names and factor/term order."""
    if a is b or a == b:
        return True
    if set(a.edges) != set(b.edges) or canonical_key(a) != canonical_key(b):
        return False
    ga, gb = graph_of(a), graph_of(b)
    if ga.graph["colours"] != gb.graph["colours"]:
        return False
    return _match(ga, gb)
