"""Put the demo system's census beside the real English acute trusts' range.

Run:
  .venv/bin/homeflow census --date 2026-11-20 --format csv > /tmp/census.csv
  .venv/bin/python scripts/compare_demo_with_real.py /tmp/census.csv ../shared/data/nhs

Real figures: for each trust, the median over months from April 2024 of (mean daily NCTR
patients / general and acute beds available) and (mean daily discharges / beds); the
table shows the least, 5th, 50th and 95th percentiles and the greatest across trusts. Zero days are treated as
missing (trusts that did not submit).
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from statistics import median, quantiles


def monthly_means(path: Path, column: str) -> dict[tuple[str, str], float]:
    sums: dict[tuple[str, str], list[float]] = defaultdict(list)
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            if row[column] in ("", "NA"):
                continue
            value = float(row[column])
            if value > 0 and row["date"] >= "2024-04":
                sums[(row["nhs_trust22_code"], row["date"][:7])].append(value)
    return {k: sum(v) / len(v) for k, v in sums.items()}


def main() -> None:
    census_path, data = Path(sys.argv[1]), Path(sys.argv[2])
    beds: dict[tuple[str, str], float] = {}
    with (data / "england_critical_general_acute_beds.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            month = datetime.strptime(row["date"], "%B %Y").strftime("%Y-%m")
            if row["general_acute_beds_available"] not in ("", "NA"):
                beds[(row["nhs_trust22_code"], month)] = float(row["general_acute_beds_available"])
    nctr = monthly_means(
        data / "england_trust_criteria_to_reside.csv", "do_not_meet_criteria_to_reside"
    )
    discharged = monthly_means(data / "england_trust_discharged_patients.csv", "discharged_total")
    per_trust: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for key, count in nctr.items():
        if key in beds and key in discharged and beds[key] > 0:
            per_trust[key[0]]["nctr"].append(100 * count / beds[key])
            per_trust[key[0]]["discharges"].append(100 * discharged[key] / beds[key])

    demo: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with census_path.open(newline="") as f:
        for row in csv.DictReader(f):
            if row["org_code"] in ("RX1", "RX2"):
                for name in ("beds", "occupied", "nctr", "discharges"):
                    demo[row["org_code"]][name] += int(row[name])

    print("| measure | real trusts min | p5 | p50 | p95 | max | demo RX1 | demo RX2 |")
    print("|---|---|---|---|---|---|---|---|")
    for measure, label in (
        ("nctr", "NCTR per 100 beds"),
        ("discharges", "discharges a day per 100 beds"),
    ):
        values = [median(v[measure]) for v in per_trust.values() if v[measure]]
        cuts = quantiles(values, n=20)
        shown = [f"{100 * demo[o][measure] / demo[o]['beds']:.1f}" for o in ("RX1", "RX2")]
        print(
            f"| {label} | {min(values):.1f} | {cuts[0]:.1f} | {median(values):.1f} | {cuts[-1]:.1f} "
            f"| {max(values):.1f} | {shown[0]} | {shown[1]} |"
        )


if __name__ == "__main__":
    main()
