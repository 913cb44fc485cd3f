"""ADT^A20, the bed status update: NPU-1 the bed's location (PL: point of care ^ room ^ bed ^
facility), NPU-2 its status from HL7 table 0116 (Bed Status, user-defined; the suggested values
are read here, docs/feeds.md#bed-status-updates-adta20). A feed updates only its own
organisation's beds: a location on another trust's site or ward is refused naming NPU-1."""

from __future__ import annotations

from homeflow.domain.bed_state import MAX_BED_CHARS, BedStatus, BedStatusSet, ClosureReason
from homeflow.domain.errors import InvalidInput
from homeflow.ingest.hl7.parser import Message
from homeflow.ingest.mapping import FeedMapping

TRIGGER = "A20"
# HL7 table 0116: C closed, H housekeeping, O occupied, U unoccupied, K contaminated,
# I isolated. A contaminated bed is closed for infection control; a bed in housekeeping waits
# for cleaning; an unoccupied one is free (the sender has no "unoccupied but dirty").
TABLE_0116: dict[str, tuple[BedStatus, ClosureReason | None]] = {
    "C": (BedStatus.CLOSED, None),
    "H": (BedStatus.AWAITING_CLEANING, None),
    "O": (BedStatus.OCCUPIED, None),
    "U": (BedStatus.FREE, None),
    "K": (BedStatus.CLOSED, ClosureReason.INFECTION_CONTROL),
    "I": (BedStatus.ISOLATED, None),
}


def bed_status(message: Message, mapping: FeedMapping) -> BedStatusSet:
    """The bed status an A20 sets (from the instant the event occurred: EVN-6)."""
    if "NPU" not in message.first:
        raise InvalidInput("NPU-1", "an A20 needs its NPU segment (the bed status update)")
    ward, bed = _bed(message, mapping)
    code = message.value("NPU", 2)
    if not code:
        raise InvalidInput("NPU-2", "the bed status is missing")
    if code not in TABLE_0116:
        raise InvalidInput(
            "NPU-2", f"{code!r} is not a bed status of HL7 table 0116 (C, H, O, U, K, I)"
        )
    status, reason = TABLE_0116[code]
    return BedStatusSet(ward, bed, status, reason)


def _bed(message: Message, mapping: FeedMapping) -> tuple[str, str]:
    """NPU-1's ward and bed, the ward homeflow's and the feed's organisation's (a feed naming
    no organisation updates its ward's trust's beds). The facility, NPU-1.4, must be a site of
    that organisation; when it is not sent, MSH-4 is checked the same way if it names a site
    homeflow knows (a bed management system may send its own name there)."""
    sent_ward, bed = message.value("NPU", 1, 1), message.value("NPU", 1, 3)
    if not sent_ward:
        raise InvalidInput("NPU-1", "the ward (point of care) is missing")
    if not bed:
        raise InvalidInput("NPU-1", "the bed (NPU-1.3) is missing")
    if len(bed) > MAX_BED_CHARS:
        raise InvalidInput("NPU-1", f"the bed is longer than {MAX_BED_CHARS} characters")
    in_npu = message.value("NPU", 1, 4)
    site_sent = in_npu or message.value("MSH", 4)
    site = mapping.site(site_sent)
    site_owner = mapping.org_of_site.get(site)
    if site_owner is None and in_npu:
        raise InvalidInput(
            "NPU-1", f"site {site!r} is not a site homeflow knows (map it in [sites])"
        )
    ward = mapping.ward(site_sent, sent_ward)
    if ward is None:
        raise InvalidInput("NPU-1", f"ward {sent_ward!r} at {site_sent!r} is not a homeflow ward")
    owner = mapping.org_of_ward(ward)
    if owner is None:
        raise InvalidInput("NPU-1", f"ward {ward!r} is not a ward homeflow knows")
    issuer = mapping.organisation or owner
    for whose, what in ((site_owner, f"site {site!r}"), (owner, f"ward {ward!r}")):
        if whose is not None and whose != issuer:
            raise InvalidInput("NPU-1", f"{what} belongs to {whose}, not to {issuer}")
    return ward, bed
