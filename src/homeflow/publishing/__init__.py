"""Documents to send round: the weekly system report, as HTML or PDF."""
