from __future__ import annotations

from enum import StrEnum

from ggzy.registration.enums import TradingType


class Method(StrEnum):
    """Procurement methods: construction under 招标投标法, government procurement under 政府采购法 Art. 26
    and later orders (财政部令74号, 87号, 110号; 财库〔2014〕214号)."""

    CONSTRUCTION_OPEN = "construction_open"
    CONSTRUCTION_INVITED = "construction_invited"
    GP_OPEN = "gp_open"
    GP_INVITED = "gp_invited"
    GP_NEGOTIATION = "gp_negotiation"
    GP_CONSULTATION = "gp_consultation"
    GP_RFQ = "gp_rfq"
    GP_SINGLE_SOURCE = "gp_single_source"
    GP_FRAMEWORK = "gp_framework"

    @property
    def label(self) -> str:
        return METHOD_LABELS[self]

    @property
    def trading_type(self) -> TradingType:
        return TradingType.CONSTRUCTION if self.value.startswith("construction") else TradingType.GOVERNMENT_PROCUREMENT

    @property
    def invited(self) -> bool:
        """Methods whose participants are named in advance (an invitation list)."""
        return self in (Method.CONSTRUCTION_INVITED, Method.GP_INVITED, Method.GP_SINGLE_SOURCE)


METHOD_LABELS = {
    Method.CONSTRUCTION_OPEN: "公开招标（工程）",
    Method.CONSTRUCTION_INVITED: "邀请招标（工程）",
    Method.GP_OPEN: "公开招标（政府采购）",
    Method.GP_INVITED: "邀请招标（政府采购）",
    Method.GP_NEGOTIATION: "竞争性谈判",
    Method.GP_CONSULTATION: "竞争性磋商",
    Method.GP_RFQ: "询价",
    Method.GP_SINGLE_SOURCE: "单一来源采购",
    Method.GP_FRAMEWORK: "框架协议采购",
}


class EvaluationMethod(StrEnum):
    COMPREHENSIVE = "comprehensive"
    LOWEST_EVALUATED_PRICE = "lowest_evaluated_price"
    GP_COMPREHENSIVE = "gp_comprehensive"
    GP_LOWEST_PRICE = "gp_lowest_price"
    BASE_PRICE = "base_price"

    @property
    def label(self) -> str:
        return {
            "comprehensive": "综合评估法",
            "lowest_evaluated_price": "经评审的最低投标价法",
            "gp_comprehensive": "综合评分法",
            "gp_lowest_price": "最低评标价法",
            "base_price": "基准价评标法",
        }[self.value]


class TenderStatus(StrEnum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    RETURNED = "returned"
    BIDDING = "bidding"  # published: documents obtainable, questions open, bids accepted
    CLOSED = "closed"  # deadline passed: the bid list is frozen; the openings are under way
    OPENED = "opened"  # every section's opening is over (record published, or no opening): evaluation
    PUBLICITY = "publicity"  # candidates published; objections may pause the procedure
    PUBLICITY_ENDED = "publicity_ended"
    AWARDED = "awarded"
    CONTRACTED = "contracted"
    FAILED = "failed"  # 流标
    RETENDERED = "retendered"  # failed, and a new round has been set up
    TERMINATED = "terminated"

    @property
    def label(self) -> str:
        return {
            "draft": "草稿",
            "pending_review": "待交易中心审核",
            "returned": "已退回",
            "bidding": "投标中",
            "closed": "已截标，开标中",
            "opened": "已开标，评标中",
            "publicity": "中标候选人公示中",
            "publicity_ended": "公示期满，待定标",
            "awarded": "已发中标（成交）通知书",
            "contracted": "合同已签订",
            "failed": "流标",
            "retendered": "流标（已重新招标）",
            "terminated": "已终止",
        }[self.value]


class NoticeKind(StrEnum):
    TENDER = "tender"
    INVITATION = "invitation"
    CLARIFICATION = "clarification"
    TERMINATION = "termination"
    FAILURE = "failure"
    CANDIDATES = "candidates"
    RESULT = "result"
    OPENING = "opening"

    @property
    def label(self) -> str:
        return {
            "tender": "招标（采购）公告",
            "invitation": "投标邀请书",
            "clarification": "澄清或变更公告",
            "termination": "终止公告",
            "failure": "流标（失败）公告",
            "candidates": "中标候选人公示",
            "result": "中标（成交）结果公告",
            "opening": "开标记录",
        }[self.value]


class RuleKey(StrEnum):
    """What a rule row bounds. Periods are minimums unless the key says otherwise."""

    DOCS_TO_DEADLINE = "docs_to_deadline"
    DOC_SALE = "doc_sale"
    CLARIFICATION_LEAD = "clarification_lead"
    MIN_BIDDERS = "min_bidders"
    PUBLICITY = "publicity"
    OBJECTION_ANSWER = "objection_answer"
    CONTRACT_WITHIN = "contract_within"

    @property
    def label(self) -> str:
        return {
            "docs_to_deadline": "自招标（采购）文件开始发出至投标（响应）截止",
            "doc_sale": "招标（采购）文件发售期",
            "clarification_lead": "影响投标文件编制的澄清或修改距投标截止",
            "min_bidders": "开标所需最少投标人数",
            "publicity": "中标候选人公示（结果公告）期",
            "objection_answer": "收到异议后作出答复",
            "contract_within": "自中标（成交）通知书发出之日起订立合同",
        }[self.value]


class PeriodUnit(StrEnum):
    DAYS = "days"
    WORKING_DAYS = "working_days"
    COUNT = "count"

    @property
    def label(self) -> str:
        return {"days": "日", "working_days": "个工作日", "count": "家"}[self.value]
