"""Derive the demo's delay-reason mix from NHS England's monthly delay-reason counts.

Run: .venv/bin/python scripts/derive_demo_delay_mix.py ../shared/data/nhs/england_trust_delay_reasons.csv
Writes src/homeflow/demo/delay_reason_mix.csv (code, share of all delays, June 2024 - May 2025).
"""

import csv
import sys
from collections import Counter
from pathlib import Path

from homeflow.domain.codes import nctr_delay_reasons

by_label = {c.published_label: c.code for c in nctr_delay_reasons().codes}
counts: Counter[str] = Counter()
with open(sys.argv[1], newline="") as f:
    for row in csv.DictReader(f):
        if row["delay_count"] not in ("", "NA"):
            counts[by_label[row["delay_reason"]]] += float(row["delay_count"])
total = sum(counts.values())
out = Path(__file__).parent.parent / "src/homeflow/demo/delay_reason_mix.csv"
with out.open("w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["code", "share"])
    for code in sorted(by_label.values()):
        writer.writerow([code, f"{counts[code] / total:.5f}"])
print(f"wrote {out} from {total:,.0f} delays")
