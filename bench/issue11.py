"""The issue-11 compositions: CPU seconds, terms and sizes of build + derive + simplify.

    python bench/issue11.py            # Markdown rows for bench/RESULTS.md ("Issue 11")
    python bench/issue11.py --repeat 9

Each case is built from fresh Variables (cold) and timed with `time.process_time`
(CPU seconds of this process, so the load other processes put on a shared machine
does not count); the median of --repeat runs is shown, with the minimum. Nodes are
counted as a tree (a shared sub-network at each occurrence) and distinct (once).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "bench"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import tensorgrad as tg  # noqa: E402
from scaling import is_trace_power_answer, layer_norm, net_hessian, softmax_stack, trace_power  # noqa: E402
from symbolic import attention  # noqa: E402

CASES = [
    ("depth-8 tanh Hessian wrt x", net_hessian, 8, None),
    ("depth-16 tanh Hessian wrt x", net_hessian, 16, None),
    ("depth-32 tanh Hessian wrt x (target ≤ 0.3 s)", net_hessian, 32, 0.3),
    ("3 stacked softmax layers, Hessian of Σ h²", softmax_stack, 3, None),
    ("4 stacked softmax layers (target ≤ 0.5 s)", softmax_stack, 4, 0.5),
    ("5 stacked softmax layers (target ≤ 2 s)", softmax_stack, 5, 2.0),
    ("grad tr(A^20), A^p a chain", trace_power, 20, None),
    ("grad tr(A^50)", trace_power, 50, None),
    ("grad tr(A^100) (target ≤ 0.5 s as 100·(A^99)ᵀ)", trace_power, 100, 0.5),
    ("layer norm Hessian (target ≤ 12 terms / 300 nodes)", layer_norm, None, None),
    ("attention Hessian (card)", lambda _: attention()[0], None, None),
]


def terms(t) -> int:
    return len(t.terms) if isinstance(t, tg.Sum) else 1


def run(repeat: int) -> list:
    rows = []
    for label, fn, arg, target in CASES:
        times = []
        for _ in range(repeat):
            t0 = time.process_time()
            out = fn(arg)
            times.append(time.process_time() - t0)
        med = statistics.median(times)
        note = ""
        if fn is trace_power:
            note = " (p·(A^(p−1))ᵀ)" if is_trace_power_answer(out, arg) else " (**not** p·(A^(p−1))ᵀ)"
        met = "" if target is None else (" — met" if med <= target else " — **missed**")
        rows.append(f"| {label} | {med:.3f} (min {min(times):.3f}){met} | {terms(out)}{note} | "
                    f"{out.size():,} | {out.distinct_size():,} |")
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args(argv)
    print(f"| case | s CPU, median of {a.repeat} | terms | tree nodes | distinct |")
    print("|---|---:|---:|---:|---:|")
    for row in run(a.repeat):
        print(row, flush=True)


if __name__ == "__main__":
    main()
