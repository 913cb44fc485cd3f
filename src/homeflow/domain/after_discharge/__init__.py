"""What happened after discharge: reablement, home care, discharge-to-assess and interim beds,
care-home placements, and the outcomes people reached."""
