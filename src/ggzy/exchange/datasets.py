"""Which datasets each public change produces, and their fields (公共资源交易平台系统数据规范).

A change is what the outbox recorded (a notice published, a contract recorded); each builder
reads the procedure as it is now and returns the records that change makes due. Records carry
only what is public by then or what the supervising platforms are owed by then: the evaluation
committee (508) and report (509) only with the result notice, when the names stop being secret
(招标投标法实施条例第四十六条, 政府采购货物和服务招标投标管理办法第六十二条).

The opening details (507, 557) come from each decrypted bid's sheet, whose optional facts (项目
负责人证件号码, 保证金递交方式与时间) the bidder declares in the sealed bid; a bid without them is held
with the reason. Not produced: 504 招标文件澄清与修改, which needs 投标有效期 and 保证金缴纳方式 the
tender does not record yet (docs/exchange.md).
"""

from __future__ import annotations

from ggzy.common.outbox import Change
from ggzy.exchange.construction import construction_notice, contract
from ggzy.exchange.procurement import gp_notice, purchase_contract
from ggzy.exchange.records import Record
from ggzy.exchange.sources import Procedure
from ggzy.tendering.models import Notice
from ggzy.tendering.models_award import Contract

__all__ = ["Record", "records_for"]


def records_for(x: Procedure, change: Change) -> list[Record]:
    if change.kind == "notice.published":
        n = x.session.get(Notice, int(change.object_id))
        if n is None:
            return []
        return gp_notice(x, n) if x.gp else construction_notice(x, n)
    if change.kind == "contract.recorded":
        c = x.session.get(Contract, int(change.object_id))
        return [] if c is None else [purchase_contract(x, c) if x.gp else contract(x, c)]
    return []
