"""Which repeated sub-expressions get a name in printed output, and which name.

A person writing a derivation names the values it mentions again and again:
``p = softmax(A x)``, ``s = σ(x)``, the layers ``h₁ = tanh(z₁)`` of a network and
their pre-activations ``z₁ = W₁ x``. The same rules serve index notation (``str``,
on tensors, :mod:`tensorgrad.printing`) and matrix notation
(:mod:`tensorgrad.notation.naming`, on the notation's syntax tree):

* a value of a function with a letter (``FunctionSpec.letter``) that occurs at least twice;
* an argument of a function that is a product or a sum with free edges (a
  pre-activation, ``z``) and occurs at least twice;
* the layer values a named pre-activation reads (``z₂ = W₂ h₁``, ``h₁ = tanh(z₁)``).

Larger repeated sub-expressions are named first (a repeated ``softmax(A x)`` hides
its ``A x``); definitions come in order of first use, each after the names it uses;
a letter used more than once is numbered ``z₁, z₂, …``; names already in use are
skipped.

>>> import tensorgrad as tg
>>> A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n")
>>> print(tg.hessian(tg.logsumexp(A @ x, "i"), x).simplify())
(δ[a,c,b] p[c] - p[a] p[b]) A[a,j] A[b,j']  where p[a] = softmax_{a}(x[b] A[a,b])
"""

from __future__ import annotations

PRE_ACTIVATION = "z"
_LAYER = {"h", PRE_ACTIVATION}
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


class Scheme:
    """How to walk one kind of expression: subclasses give ``children(n)``, ``key(n)``
    (equal for equal sub-expressions), ``letter(n, parent)`` (the letter n is named by,
    or None where it is no candidate) and ``size(n)``."""

    def choose(self, root, taken=()) -> tuple[dict, list]:
        """``(named, defs)``: ``named`` maps the key of each named class to its name,
        ``defs`` lists ``(name, representative node)`` in the order to print. Each
        round's work is proportional to the distinct nodes (occurrences are counted
        through the DAG, not the tree)."""
        named: dict = {}  # key -> index in reps
        reps: list = []
        letters: list = []
        while True:
            counts, first, inside = self._count(root, reps, letters, named)
            repeated = [k for k, c in counts.items() if c >= 2]
            if not repeated:
                repeated = [k for k in inside if first[k][0] != PRE_ACTIVATION]
                if not repeated:
                    break
            # largest first; in one round only classes not inside another one named in
            # it (the counts of the others are unchanged, so this is the same as one a round)
            rank = {k: n for n, k in enumerate(counts)}
            below: set = set()
            for k in sorted(repeated, key=lambda k: (-self.size(first[k][1]), rank[k])):
                if k in below:
                    continue
                named[k] = len(reps)
                letters.append(first[k][0])
                reps.append(first[k][1])
                self._below(first[k][1], below)
        if not reps:
            return {}, []
        order = self._order(root, reps, named)
        names = _names(order, letters, set(taken))
        return ({k: names[j] for k, j in named.items()}, [(names[j], reps[j]) for j in order])

    def _below(self, node, out: set) -> None:
        stack = list(self.children(node))
        while stack:
            n = stack.pop()
            k = self.key(n)
            if k not in out:
                out.add(k)
                stack.extend(self.children(n))

    def _topological(self, starts) -> list:
        order, seen = [], set()
        for s in starts:
            stack = [(s, iter(self.children(s)))]
            if id(s) in seen:
                continue
            seen.add(id(s))
            while stack:
                node, it = stack[-1]
                for c in it:
                    if id(c) not in seen:
                        seen.add(id(c))
                        stack.append((c, iter(self.children(c))))
                        break
                else:
                    stack.pop()
                    order.append(node)
        return order[::-1]

    def _count(self, root, reps, letters, named):
        """Per candidate class: occurrences as a tree (below `root` and below each
        definition, not inside named occurrences), its (letter, first node), and the
        classes read by a named pre-activation."""
        starts = {id(root): 0}
        zstarts = set()
        for r, letter in zip(reps, letters):
            starts[id(r)] = starts.get(id(r), 0) + 1
            if letter == PRE_ACTIVATION:
                zstarts.add(id(r))
        starts[id(root)] += 1
        flow_in: dict = {}
        zflow_in: dict = {}
        counts, first, inside = {}, {}, {}
        for n in self._topological([root, *reps]):
            open_ = self.key(n) not in named
            out = starts.get(id(n), 0) + (flow_in.get(id(n), 0) if open_ else 0)
            zout = (id(n) in zstarts) or (open_ and zflow_in.get(id(n), False))
            if not out and not zout:
                continue
            for c in self.children(n):
                flow_in[id(c)] = flow_in.get(id(c), 0) + out
                if zout:
                    zflow_in[id(c)] = True
                k = self.key(c)
                if k in named:
                    continue
                letter = self.letter(c, n)
                if letter is None:
                    continue
                counts[k] = counts.get(k, 0) + out
                first.setdefault(k, (letter, c))
                if zout:
                    inside[k] = True
        return counts, first, inside

    def _order(self, root, reps, named) -> list:
        """Definition indices in order of first use, each after those it uses."""
        order, done, seen = [], set(), set()

        def visit(n, expand):
            k = self.key(n)
            if not expand and k in named:
                j = named[k]
                if j not in done:
                    done.add(j)
                    visit(reps[j], True)
                    order.append(j)
                return
            if id(n) in seen:
                return
            seen.add(id(n))
            for c in self.children(n):
                visit(c, False)

        visit(root, True)
        return order


def _names(order: list, letters: list, taken: set) -> dict:
    """Definition index -> name: its letter, numbered where the letter is used twice
    (pre-activations and layers numbered together), never a name in `taken`."""
    uses: dict = {}
    for j in order:
        uses.setdefault(letters[j], []).append(j)
    layered = len(uses.get(PRE_ACTIVATION, ())) > 1  # z₁, h₁, z₂
    out: dict = {}
    for letter, js in uses.items():
        k = 0
        for j in js:
            single = len(js) == 1 and not (layered and letter in _LAYER)
            if single and letter not in taken:
                name = letter
            else:
                k += 1
                while letter + str(k).translate(SUBSCRIPTS) in taken:
                    k += 1
                name = letter + str(k).translate(SUBSCRIPTS)
            taken.add(name)
            out[j] = name
    return out
