"""`homeflow predict`: discharge predictions, trained on the record's own history."""

from __future__ import annotations

import re
from datetime import time, timedelta
from enum import StrEnum
from typing import Annotated, Any

import typer

from homeflow.cli.app import Commands, app
from homeflow.cli.database import open_database
from homeflow.cli.output import OutputFormat, ended_date, fail, print_rows, say
from homeflow.domain import clock
from homeflow.domain.clock import parse_date

predict_app = Commands(help="Discharge predictions: who is likely to go home today and tomorrow.")
app.add_typer(predict_app, name="predict")

AT_HELP = "The hour and minute the prediction is made at, HH:MM local time (default 06:00)."
FORMAT_HELP = "table, csv or json."


class By(StrEnum):
    PATIENT = "patient"
    WARD = "ward"
    SITE = "site"
    TRUST = "trust"


def _time(text: str) -> time:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", text):
        fail(f"--at: {text!r} is not a time of day (HH:MM)")
    return time.fromisoformat(text)


@predict_app.command("train")
def predict_train(
    through_text: Annotated[
        str,
        typer.Option("--through", help="The last day learnt from, YYYY-MM-DD (default yesterday)."),
    ] = "",
    at: Annotated[str, typer.Option(help=AT_HELP)] = "06:00",
) -> None:
    """Train the model on the history up to yesterday (its last 28 days held out and scored
    first) and save it in the models folder: run it on a schedule (cron, a systemd timer)."""
    from homeflow.config import models_folder
    from homeflow.services.discharge_predictions import train

    if through_text:
        through = ended_date("--through", through_text)
    else:
        through = clock.today() - timedelta(days=1)
    when = _time(at)
    try:
        about = train(open_database(), through, when, models_folder())
    except ValueError as problem:
        fail(f"history: {problem}")
    found = about["evaluation"]
    say(
        f"trained on {about['patient_days']} patient-days from {about['trained_from']} to "
        f"{about['trained_through']}, at {about['at']}; held-out AUROC today "
        f"{found['auroc']['today']:.3f}, tomorrow {found['auroc']['tomorrow']:.3f}; ward "
        f"totals' MAE {found['ward_mae']:.2f} against the EDD reference's "
        f"{found['edd_reference_mae']:.2f}"
    )


@predict_app.command("discharges")
def predict_discharges(
    on: Annotated[
        str, typer.Option("--date", help="The day predicted, YYYY-MM-DD: today or earlier.")
    ] = "",
    at: Annotated[str, typer.Option(help=AT_HELP)] = "06:00",
    by: Annotated[By, typer.Option(help="patient, ward, site or trust.")] = By.PATIENT,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help=FORMAT_HELP)
    ] = OutputFormat.TABLE,
) -> None:
    """Each inpatient's probability of leaving by midnight and by the next midnight, or per
    place the expected discharges with their 10-90% range."""
    from homeflow.config import models_folder
    from homeflow.services import discharge_predictions as dp

    day = parse_date("--date", on) if on else clock.today()
    if day > clock.today():
        fail(f"--date: {on} has not come yet: the latest is today")
    when = _time(at)
    if dp.instant_of(day, when) > clock.now():
        fail(f"--at: {at} on {day:%d/%m/%Y} has not come yet: a prediction is made from the past")
    try:
        found = dp.predict(open_database(), day, when, models_folder())
    except dp.NoModel:
        fail("model: none trained yet: run `homeflow predict train`")
    about = dp.about_model(models_folder())
    say(
        f"model trained {about.get('trained_at', '')} on {about['patient_days']} patient-days "
        f"from {about['trained_from']} to {about['trained_through']} (held-out AUROC today "
        f"{about['evaluation']['auroc']['today']:.3f}): see `homeflow predict train`"
    )
    title = f"Discharge predictions at {when:%H:%M} on {day:%d/%m/%Y}"
    if by is By.PATIENT:
        rows = [
            {
                "spell": p.spell_key, "ward": p.ward_code, "site": p.site_code,
                "edd": p.expected_discharge_date.isoformat() if p.expected_discharge_date else "",
                "today": round(p.today, 3), "by_tomorrow": round(p.tomorrow, 3),
            }
            for p in found
        ]  # fmt: skip
        print_rows(rows, ["spell", "ward", "site", "edd", "today", "by_tomorrow"],
                   output_format, title)  # fmt: skip
        return
    print_rows(place_rows(dp.by_place(found, by.value)), PLACE_COLUMNS, output_format, title)


PLACE_COLUMNS = [
    "place", "patients", "today_expected", "today_low", "today_high",
    "by_tomorrow_expected", "by_tomorrow_low", "by_tomorrow_high",
]  # fmt: skip


def place_rows(counts: Any) -> list[dict[str, Any]]:
    return [
        {
            "place": c.place, "patients": c.patients,
            "today_expected": round(c.today.expected, 2), "today_low": c.today.low,
            "today_high": c.today.high, "by_tomorrow_expected": round(c.tomorrow.expected, 2),
            "by_tomorrow_low": c.tomorrow.low, "by_tomorrow_high": c.tomorrow.high,
        }
        for c in counts
    ]  # fmt: skip


@predict_app.command("evaluate")
def predict_evaluate(
    first: Annotated[str, typer.Option("--from", help="The first day scored, YYYY-MM-DD.")] = "",
    last: Annotated[str, typer.Option("--to", help="The last day scored, YYYY-MM-DD.")] = "",
    at: Annotated[str, typer.Option(help=AT_HELP)] = "06:00",
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help=FORMAT_HELP)
    ] = OutputFormat.TABLE,
) -> None:
    """Train on the days before --from and score the days from --from to --to (a split in
    time): AUROC, the ward totals' MAE beside the EDD reference's, the reliability table and
    its calibration error."""
    from homeflow.services.discharge_predictions import evaluate_days

    if not first or not last:
        fail(f"{'--from' if not first else '--to'}: is needed")
    start, end = ended_date("--from", first), ended_date("--to", last)
    if end < start:
        fail("--to: is before --from")
    when = _time(at)  # every option read before the database is opened
    try:
        found = evaluate_days(open_database(), start, end, when)
    except ValueError as problem:
        fail(f"history: {problem}")
    rows: list[dict[str, Any]] = [
        {"measure": f"AUROC {name}", "target": "", "value": round(found.auroc[name], 3)}
        for name in found.auroc
    ]
    rows += [
        {"measure": "ward totals' MAE", "target": "", "value": round(found.ward_mae, 3)},
        {"measure": "EDD reference MAE", "target": "", "value": round(found.edd_reference_mae, 3)},
        {"measure": "MAE ratio", "target": "", "value": round(found.mae_ratio, 3)},
    ]
    rows += [
        {"measure": f"calibration error {name}", "target": "", "value": round(error, 3)}
        for name, error in found.calibration_error.items()
    ]
    for name, bins in found.reliability.items():
        rows += [
            {
                "measure": f"reliability {b['low']:.1f}-{b['high']:.1f}",
                "target": name,
                "value": f"{b['mean_predicted']:.3f} predicted, {b['observed']:.3f} left, "
                f"{b['patients']} patients",
            }
            for b in bins
        ]
    title = f"Discharge predictions scored on {start:%d/%m/%Y} to {end:%d/%m/%Y}"
    print_rows(rows, ["measure", "target", "value"], output_format, title)
