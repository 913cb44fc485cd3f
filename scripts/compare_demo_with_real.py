"""Put the demo beside the real English acute trusts: each measure of issue 29's finding 16 at
ward, site and system level, against its range, and the national series it comes from.

Run:
  .venv/bin/python scripts/compare_demo_with_real.py ../shared/data/nhs [--seed 11]
      [--days 40] [--end 2026-11-20] [--census /tmp/census.csv]

The demo's figures come from a fresh simulation (no database: the same generator, seed and end
date as `homeflow demo`) read at the last hour of its last day; the ranges from
`homeflow.demo.realism.RANGES` (tests/unit/test_demo_realism.py holds the demo to them). From
the shared data the script recomputes the real trusts' spread (least, 5th, 50th and 95th
percentile and greatest across trusts of each trust's median since April 2024; zero days are
treated as missing, trusts that did not submit) for the weekend discharges, the adult general
and acute occupancy and, given a census CSV (`homeflow census --format csv`), the NCTR and
discharges per 100 beds. Exits 1 when a measure is outside its range.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from statistics import median, quantiles

from homeflow.demo import realism
from homeflow.demo.after_discharge import capacity_returns, support_episodes
from homeflow.demo.generator import DemoSystem

SINCE = "2024-04"


def spread(values: list[float]) -> str:
    cuts = quantiles(values, n=20)
    shown = (min(values), cuts[0], median(values), cuts[-1], max(values))
    return " / ".join(f"{v:.2f}" for v in shown)


def daily(path: Path, column: str) -> dict[str, dict[str, float]]:
    """Each trust's non-zero daily values since April 2024."""
    found: dict[str, dict[str, float]] = defaultdict(dict)
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            if row[column] not in ("", "NA") and row["date"] >= SINCE and float(row[column]) > 0:
                found[row["nhs_trust22_code"]][row["date"]] = float(row[column])
    return found


def weekend_ratios(data: Path) -> dict[str, list[float]]:
    """Each trust's median Saturday and Sunday discharges over its median weekday's."""
    ratios: dict[str, list[float]] = defaultdict(list)
    for days in daily(data / "england_trust_discharged_patients.csv", "discharged_total").values():
        by_weekday: dict[int, list[float]] = defaultdict(list)
        for day, count in days.items():
            by_weekday[date.fromisoformat(day).weekday()].append(count)
        if len(by_weekday) < 7:
            continue
        weekday = sum(median(by_weekday[d]) for d in range(5)) / 5
        ratios["saturday discharges / weekday"].append(median(by_weekday[5]) / weekday)
        ratios["sunday discharges / weekday"].append(median(by_weekday[6]) / weekday)
    return ratios


def monthly_beds(data: Path) -> tuple[dict[tuple[str, str], float], list[float]]:
    """General and acute beds available by trust and month; each trust's median adult
    occupancy (%)."""
    beds: dict[tuple[str, str], float] = {}
    occupancy: dict[str, list[float]] = defaultdict(list)
    with (data / "england_critical_general_acute_beds.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            month = datetime.strptime(row["date"], "%B %Y").strftime("%Y-%m")
            if row["general_acute_beds_available"] not in ("", "NA"):
                beds[(row["nhs_trust22_code"], month)] = float(row["general_acute_beds_available"])
            rate = row["adult_general_acute_beds_occupancy_rate"]
            if month >= SINCE and rate not in ("", "NA") and float(rate) > 0:
                occupancy[row["nhs_trust22_code"]].append(100 * float(rate))
    return beds, [median(v) for v in occupancy.values()]


def census_table(census: Path, data: Path, beds: dict[tuple[str, str], float]) -> None:
    """NCTR and discharges a day per 100 beds: real trusts beside a demo census."""
    per_trust: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for name, path, column in (
        ("nctr", "england_trust_criteria_to_reside.csv", "do_not_meet_criteria_to_reside"),
        ("discharges", "england_trust_discharged_patients.csv", "discharged_total"),
    ):
        months: dict[tuple[str, str], list[float]] = defaultdict(list)
        for trust, days in daily(data / path, column).items():
            for day, value in days.items():
                months[(trust, day[:7])].append(value)
        for key, values in months.items():
            if beds.get(key):
                per_trust[key[0]][name].append(100 * sum(values) / len(values) / beds[key])
    demo: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with census.open(newline="") as f:
        for row in csv.DictReader(f):
            if row["org_code"] in ("RX1", "RX2"):
                for name in ("beds", "nctr", "discharges"):
                    demo[row["org_code"]][name] += int(row[name])
    print("\n| per 100 beds | real min / p5 / p50 / p95 / max | demo RX1 | demo RX2 |")
    print("|---|---|---|---|")
    for name in ("nctr", "discharges"):
        values = [median(v[name]) for v in per_trust.values() if v[name]]
        shown = [f"{100 * demo[o][name] / demo[o]['beds']:.1f}" for o in ("RX1", "RX2")]
        print(f"| {name} | {spread(values)} | {shown[0]} | {shown[1]} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--days", type=int, default=40)
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 11, 20))
    parser.add_argument("--census", type=Path)
    args = parser.parse_args()
    beds, occupancy = monthly_beds(args.data)
    real = {**weekend_ratios(args.data), "site occupancy %": occupancy}

    sim = DemoSystem(args.seed, args.days, args.end)
    sim.run()
    found = realism.measures(sim)
    episodes = support_episodes(realism.discharges(sim, sim.org_of_site), args.seed, args.end)
    found += realism.support_measures(episodes, capacity_returns(episodes, args.seed, args.end))

    print(f"Demo of seed {args.seed}, {args.days} days to {args.end:%d/%m/%Y}.\n")
    print("| measure | level | demo | range | real trusts min / p5 / p50 / p95 / max | source |")
    print("|---|---|---|---|---|---|")
    for f in found:
        r = realism.RANGES[f.measure]
        mark = "" if r.low <= f.value <= r.high else " **outside**"
        shown = spread(real[f.measure]) if f.measure in real else ""
        print(
            f"| {f.measure} | {f.level} | {f.value:.2f}{mark} | {r.low:g}-{r.high:g} "
            f"| {shown} | {r.source} |"
        )
    if args.census:
        census_table(args.census, args.data, beds)
    missed = realism.outside(found)
    print(f"\n{len(found) - len(missed)} of {len(found)} figures inside their range.")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
