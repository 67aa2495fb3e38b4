"""tensorgrad benchmarks (scripts, not tests): the card of ../shared/BENCHMARKS.md.

    python -m bench              # whole card -> Markdown table, bench/RESULTS.md, bench/results.json
    python -m bench --quick      # fewer repeats
    python bench/scaling.py      # growth with depth / derivative order -> figures/scaling.png

Modules: `symbolic` (derive + simplify), `numeric` (exported code vs closed forms, JAX,
torch), `run` (the one entry point that runs both and writes the record), `scaling`.
"""
