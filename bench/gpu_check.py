"""The benchmark card on a GPU: tg.evaluate on CUDA torch tensors and CuPy arrays,
checked against NumPy (1e-10 relative, float64) and timed against the same call on
the CPU. Exits cleanly (status 0) saying so when no GPU or neither library is there.

    python bench/gpu_check.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import tensorgrad as tg  # noqa: E402


def cases():
    """(name, expression, values) for the card's Hessians at GPU-worthy sizes."""
    rng = np.random.default_rng(0)
    A, x, b = tg.Variable("A", i="m", j="n"), tg.Variable("x", j="n"), tg.Variable("b", i="m")
    X, w, y = tg.Variable("X", s="N", d="D"), tg.Variable("w", d="D"), tg.Variable("y", s="N")
    S = tg.Variable("S", i="n", j="n")
    z, p = tg.Variable("z", i="n"), tg.Variable("p", i="n")
    a = rng.normal(size=(2000, 2000))
    out = [
        ("lsq Hessian (2000)", tg.hessian(tg.sum((A @ x - b) ** 2), x).simplify(),
         {"A": a, "x": rng.normal(size=2000), "b": rng.normal(size=2000)}),
        ("logreg Hessian (4000×1000)", tg.hessian(tg.sum(tg.log(1 + tg.exp(-y * (X @ w)))), w).simplify(),
         {"X": rng.normal(size=(4000, 1000)) / 30, "w": rng.normal(size=1000), "y": np.sign(rng.normal(size=4000))}),
        ("logdet gradient (1000)", tg.grad(tg.logdet(S), S).simplify(),
         {"S": a[:1000, :1000] @ a[:1000, :1000].T / 1000 + np.eye(1000)}),
        ("softmax_ce Hessian (2000)", tg.hessian(-(p @ tg.log(tg.softmax(z, "i"))), z).simplify(),
         {"z": rng.normal(size=2000), "p": np.eye(2000)[3]}),
    ]
    return out


def median_ms(fn, sync, reps=7):
    fn()
    sync()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        sync()
        ts.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(ts)


def devices():
    """(label, to-device, back-to-host, sync) for each GPU library that works here."""
    found = []
    try:
        import torch
        if torch.cuda.is_available():
            found.append((f"torch CUDA ({torch.cuda.get_device_name(0)})", lambda a: torch.as_tensor(a, device="cuda"),
                          lambda t: t.cpu().numpy(), torch.cuda.synchronize))
    except ImportError:
        pass
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() > 0:
            found.append(("CuPy", cupy.asarray, cupy.asnumpy, cupy.cuda.Device().synchronize))
    except Exception:  # not installed, or installed without a usable GPU/driver
        pass
    return found


def main() -> int:
    found = devices()
    if not found:
        print("No GPU: neither CUDA torch nor CuPy finds a device here; nothing to check.")
        return 0
    worst = 0.0
    for label, to, back, sync in found:
        print(f"\n## {label}\n")
        print("| case | GPU (ms) | NumPy CPU (ms) | CPU / GPU | result type | rel. error vs NumPy |")
        print("|---|---:|---:|---:|---|---:|")
        for name, expr, vals in cases():
            want = tg.evaluate(expr, vals)
            dev = {k: to(v) for k, v in vals.items()}
            got = tg.evaluate(expr, dev)
            err = float(np.max(np.abs(back(got) - want)) / max(1.0, np.max(np.abs(want))))
            worst = max(worst, err)
            t_gpu = median_ms(lambda: tg.evaluate(expr, dev), sync)
            t_cpu = median_ms(lambda: tg.evaluate(expr, vals), lambda: None)
            print(f"| {name} | {t_gpu:.2f} | {t_cpu:.2f} | {t_cpu / t_gpu:.1f}× | {type(got).__module__}.{type(got).__name__} "
                  f"| {err:.1e} |")
    print(f"\nlargest relative error: {worst:.1e}")
    return 0 if worst < 1e-10 else 1


if __name__ == "__main__":
    sys.exit(main())
