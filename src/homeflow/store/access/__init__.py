"""The signed-in user's window on the record: every page's data, scoped and audited here, one
module per page or concern.

Organisation scoping lives in this data-access layer, not in templates: a row for a patient
outside the viewer's organisations never carries a name or NHS number, and a spell page for one
is refused (`scope`). A look at identifiable data is audited in its own short write after the
page's reads; a change is an event appended through the event log with its audit entry in the
same transaction (`changes`, `audit`).
"""

from homeflow.store.access.audit import (
    audit_entries,
    audit_export,
    audit_refused,
    audit_sign_in,
    audit_view,
    record,
)
from homeflow.store.access.changes import Change, form_limits, parse_change, record_change
from homeflow.store.access.daily_call import DailyCallRow, daily_call
from homeflow.store.access.overview import OverviewRow, overview, site_name
from homeflow.store.access.referrals import ReferralRow, referrals_board
from homeflow.store.access.scope import (
    Conflict,
    Forbidden,
    NotFound,
    PatientLabel,
    Unchanged,
    Viewer,
)
from homeflow.store.access.spell_page import SpellView, spell_view
from homeflow.store.access.stranded import StrandedRow, stranded_list
from homeflow.store.access.whiteboard import BedRow, Whiteboard, whiteboard

__all__ = [
    "BedRow",
    "Change",
    "Conflict",
    "DailyCallRow",
    "Forbidden",
    "NotFound",
    "OverviewRow",
    "PatientLabel",
    "ReferralRow",
    "SpellView",
    "StrandedRow",
    "Unchanged",
    "Viewer",
    "Whiteboard",
    "audit_entries",
    "audit_export",
    "audit_refused",
    "audit_sign_in",
    "audit_view",
    "daily_call",
    "form_limits",
    "overview",
    "parse_change",
    "record",
    "record_change",
    "referrals_board",
    "site_name",
    "spell_view",
    "stranded_list",
    "whiteboard",
]
