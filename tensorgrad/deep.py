"""Deeply nested input: recursive passes that run out of Python's stack are rerun on
a thread with a large stack and a high recursion limit.

Every public entry point that walks an expression or a parse tree (parse, printing,
simplify, derivatives, evaluate, export, drawing) is wrapped in `deep`: the common
case runs as is, at no cost; an input nested beyond Python's default recursion limit
(a 400-term sum written out, 150 nested parentheses, a network thousands of layers
deep) runs again on the big stack; beyond `DEEP_LIMIT` levels the caller gets a
ValueError saying so, never a RecursionError.

>>> import tensorgrad as tg
>>> t = tg.Variable("x", "i")
>>> for _ in range(3000):
...     t = tg.tanh(t)
>>> len(str(t)) > 3000
True
"""

from __future__ import annotations

import functools
import sys
import threading

#: Stack of the deep thread (reserved address space; pages are used only as needed).
DEEP_STACK = 1 << 30
#: Recursion limit on the deep thread: levels of nesting an entry point accepts.
DEEP_LIMIT = 100_000

_state = threading.local()
_lock = threading.Lock()


def deep(fn):
    """`fn`, rerun on a large stack when it runs out of Python's recursion limit."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if getattr(_state, "deep", False):
            return fn(*args, **kwargs)
        try:
            return fn(*args, **kwargs)
        except RecursionError:
            pass
        return _on_big_stack(fn, args, kwargs)
    return wrapper



def on_big_stack(fn, *args, **kwargs):
    """fn(*args, **kwargs) on the large stack from the start (for work that must not
    run twice, e.g. a command that prints as it goes)."""
    if getattr(_state, "deep", False):
        return fn(*args, **kwargs)
    return _on_big_stack(fn, args, kwargs)


def _on_big_stack(fn, args, kwargs):
    box: dict = {}

    def target():
        _state.deep = True
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as err:  # handed to the caller's thread below
            box["error"] = err

    with _lock:  # stack size and recursion limit are process-wide settings
        old_stack, old_limit = threading.stack_size(DEEP_STACK), sys.getrecursionlimit()
        sys.setrecursionlimit(max(old_limit, DEEP_LIMIT))
        try:
            worker = threading.Thread(target=target, name="tensorgrad-deep")
            worker.start()
            worker.join()
        finally:
            threading.stack_size(old_stack)
            sys.setrecursionlimit(old_limit)
    err = box.get("error")
    if isinstance(err, RecursionError):
        raise ValueError(f"{fn.__name__}: the input is nested more than about {DEEP_LIMIT} levels deep") from None
    if err is not None:
        raise err
    return box["value"]
