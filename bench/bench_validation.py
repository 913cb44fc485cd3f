"""The capacity model checked against held-out history at several dates, as issue 31 asks: the
site-days whose occupancy and NCTR fell inside the model's 90% band, the bands' own coverage,
the interval score against carrying the census forward, and each service's median bias.

Run: .venv/bin/python -m bench.bench_validation [--db URL] [--days 240 --end 2026-11-30 --seed 7]
     [--dates 7] [--horizon 28] [--reps 300]

Without --db it builds the demo (`homeflow demo --days --end --seed`) into a scratch SQLite
file first. The dates are spread evenly from `--history` days after the demo's first day to
`--horizon` days before its last, each validated as `homeflow validate --to DATE --days
HORIZON --reps REPS --seed 0` does (services.validation.validate). The reference is the one
`homeflow validate` reports: the census at each date carried forward unchanged, scored on the
same days (docs/simulation.md, "Validation on held-out history").
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.demo_database import demo_database  # noqa: E402 (run as a script too)
from bench.ratios import report  # noqa: E402

ALL = "all services"  # the pooled row's service (sim/validation.pooled)
BIAS_LIMIT = 0.05  # issue 31: each service's median bias within ±5%


def dates_between(first: date, last: date, count: int) -> list[date]:
    """`count` dates spread evenly from `first` to `last` (both kept when count > 1)."""
    if count == 1 or first == last:
        return [last]
    step = (last - first).days / (count - 1)
    return sorted({first + timedelta(days=round(i * step)) for i in range(count)})


def median_by_service(
    biases: list[tuple[str, str, date, float]],
) -> dict[tuple[str, str], float]:
    """Each service's measure's median bias over the dates (the other reading of issue 31's
    "median bias within ±5% per service" beside each service-date's)."""
    by_service: dict[tuple[str, str], list[float]] = {}
    for service, measure, _, share in biases:
        by_service.setdefault((service, measure), []).append(share)
    return {key: float(statistics.median(shares)) for key, shares in by_service.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a demo's database (else one is built)")
    parser.add_argument("--days", type=int, default=240, help="the demo's days")
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 11, 30))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dates", type=int, default=7)
    parser.add_argument("--history", type=int, default=90, help="days before the first date")
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--reps", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        demo = ("--days", str(args.days), "--end", args.end.isoformat(), "--seed", str(args.seed))
        url = args.db or demo_database(Path(folder), "demo.db", *demo)[0]
        run(url, args)


def run(url: str, args: argparse.Namespace) -> None:
    from homeflow.services.validation import validate
    from homeflow.sim.validation import Comparison, pooled
    from homeflow.store import db

    engine = db.connect(url)
    first_day = args.end - timedelta(days=args.days - 1)
    dates = dates_between(
        first_day + timedelta(days=args.history - 1),
        args.end - timedelta(days=args.horizon),
        args.dates,
    )
    by_measure: dict[str, list[Comparison]] = {"occupancy": [], "nctr": []}
    biases = []
    for to in dates:
        found = validate(engine, to, args.horizon, args.reps, args.end + timedelta(days=1))
        for c in found.comparisons:
            if c.service == ALL:
                by_measure[c.measure].append(c)
            elif c.bias_percent is not None:
                biases.append((c.service, c.measure, to, c.bias_percent))
        shares = [f"{c.measure} {c.inside_90:.1%}" for c in found.comparisons if c.service == ALL]
        print(f"--to {to}: inside the 90% band {', '.join(shares)}")
    print(f"{len(dates)} dates, {args.horizon} days each, {args.reps} replications ({url})")
    for measure, parts in by_measure.items():
        every = pooled(measure, parts)  # the dates' site-days together
        score = every.interval_score / every.reference_interval_score
        print(
            f"{measure}: {every.inside_90:.1%} of {every.days} site-days inside the 90% band"
            f" (target 85%); interval score {every.interval_score:.1f} against"
            f" {every.reference_interval_score:.1f} carried forward"
        )
        report(f"validation {measure} site-days inside the 90% band", every.inside_90)
        report(f"validation {measure} interval score / carried forward", score, "lower")
    if not biases:  # no service had an actual mean to take a share of
        return
    within = sum(abs(b[3]) <= BIAS_LIMIT for b in biases)
    print(f"each service's median bias within 5%: {within} of {len(biases)} service-dates")
    for service, measure, to, share in sorted(biases, key=lambda b: -abs(b[3]))[:5]:
        print(f"  furthest: {service} {measure} --to {to}: {share:+.1%}")
    report("validation service-dates with median bias within 5%", within / len(biases))
    medians = median_by_service(biases)
    print("each service's median over the dates of its bias:")
    for (service, measure), share in sorted(medians.items()):
        print(f"  {service} {measure}: {share:+.1%}")
    kept = sum(abs(share) <= BIAS_LIMIT for share in medians.values())
    report("validation services with their median bias within 5%", kept / len(medians))


if __name__ == "__main__":
    main()
