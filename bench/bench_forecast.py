"""Forecasts that add up, on held-out history: the reconciled forecasts' MASE at each level
(ward, site, trust, ICB) as a ratio to seasonal naive's, measured in the same run on the same
windows, and the share of actual days inside the conformal 80% intervals (issue 31's targets:
ICB ratio at most 0.85, coverage 78-82%).

Run: .venv/bin/python bench/bench_forecast.py --db /tmp/demo.db --to 2026-12-04 [--days 399]

The database needs a year or so of history: `homeflow demo --days 400 --end <yesterday>`.
It runs the function behind `homeflow backtest --level ward`: rolling origins 14 days apart
over the last `--windows` × 14 days, each window's intervals calibrated per level on the
errors in the windows before it (the last six, at least three). `--windows 19` evaluates 266
days of each series, where a level's coverage varies less by chance than over the 112 days of
the default eight.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

from homeflow.services.forecasts import Level, Measure, Reconciliation, backtest_levels
from homeflow.store import db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLite file holding the demo")
    parser.add_argument("--to", required=True, help="last day of history, YYYY-MM-DD")
    parser.add_argument("--days", type=int, default=399)
    parser.add_argument("--horizon", type=int, default=14)
    parser.add_argument("--windows", type=int, default=8)
    parser.add_argument("--measure", default="admissions", choices=[m.value for m in Measure])
    parser.add_argument(
        "--method", default="mint-shrink", choices=[m.value for m in Reconciliation]
    )
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    engine = db.connect(f"sqlite:///{args.db}")
    started = time.perf_counter()
    found = backtest_levels(
        engine,
        Measure(args.measure),
        Level.WARD,
        date.fromisoformat(args.to),
        args.days,
        args.horizon,
        args.windows,
        Reconciliation(args.method),
        args.jobs,
    )
    elapsed = time.perf_counter() - started
    print(
        f"{args.measure}, {args.windows} held-out windows × {args.horizon} days, "
        f"reconciled by {args.method} ({elapsed:.0f} s)"
    )
    print("level  series  MASE   seasonal-naive MASE  ratio  80% coverage")
    for level, row in found.iterrows():
        print(
            f"{level:<6} {int(row['series']):>6}  {row['mase']:.3f}  {row['naive_mase']:.3f}"
            f"                {row['ratio']:.3f}  {row['coverage80']:.1%}"
        )
    icb = found.loc["icb"]
    print(
        f"ICB: MASE ratio to seasonal naive {icb['ratio']:.3f} (target at most 0.85), "
        f"80% interval coverage {icb['coverage80']:.1%} (target 78-82%)"
    )
    outside = [
        str(level) for level, row in found.iterrows() if not 0.78 <= row["coverage80"] <= 0.82
    ]
    print(f"levels whose 80% coverage is outside 78-82%: {', '.join(outside) or 'none'}")


if __name__ == "__main__":
    main()
