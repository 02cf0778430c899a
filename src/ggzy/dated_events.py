"""Which action service applies each dated event. Lives above the domains it names."""

from __future__ import annotations

from ggzy.common.chronograph import Handler
from ggzy.tendering import award
from ggzy.tendering import services as tendering

HANDLERS: dict[str, Handler] = {
    tendering.CLOSE_EVENT: tendering.tender_close,
    award.PUBLICITY_EVENT: award.publicity_end,
}
