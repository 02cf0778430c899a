"""Imports every domain's models so the metadata (and Alembic) knows all tables."""

from ggzy.bidding import models as bidding_models  # noqa: F401
from ggzy.common import audit, calendar, chronograph, outbox, sequences  # noqa: F401
from ggzy.evaluation import models as evaluation_models  # noqa: F401
from ggzy.exchange import models as exchange_models  # noqa: F401
from ggzy.experts import models as expert_models  # noqa: F401
from ggzy.identity import models as identity_models  # noqa: F401
from ggzy.identity import models_keys as identity_key_models  # noqa: F401
from ggzy.portal import models as portal_models  # noqa: F401
from ggzy.registration import models as registration_models  # noqa: F401
from ggzy.tendering import backup as tendering_backup_models  # noqa: F401
from ggzy.tendering import models as tendering_models  # noqa: F401
from ggzy.tendering import models_award as tendering_award_models  # noqa: F401
