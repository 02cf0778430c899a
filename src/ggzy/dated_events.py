"""Which action service applies each dated event. Lives above the domains it names."""

from __future__ import annotations

from ggzy.bidding import opening
from ggzy.bidding import state as opening_state
from ggzy.common.chronograph import Handler
from ggzy.tendering import award
from ggzy.tendering import services as tendering

HANDLERS: dict[str, Handler] = {
    # The deadline closes the tender and starts each section's opening (or fails it).
    tendering.CLOSE_EVENT: opening.deadline_reached,
    # A section with its own, earlier deadline starts its opening while the others still take bids.
    tendering.SECTION_CLOSE_EVENT: opening.section_deadline_reached,
    opening_state.WINDOW_EVENT: opening.window_close,
    award.PUBLICITY_EVENT: award.publicity_end,
}
