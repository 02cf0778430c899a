from __future__ import annotations

from enum import StrEnum


class EvalStatus(StrEnum):
    SIGN_IN = "sign_in"  # members sign in at their sites and elect the chair
    REVIEW = "review"  # qualification and compliance review of each bid
    SCORING = "scoring"  # each member scores independently
    SIGNING = "signing"  # the report is drawn up; members sign it
    SIGNED = "signed"  # every member signed: the report goes to the tenderer

    @property
    def label(self) -> str:
        return {
            "sign_in": "签到及推举负责人",
            "review": "资格和符合性审查",
            "scoring": "独立评分",
            "signing": "评标报告签署中",
            "signed": "评标报告已签署",
        }[self.value]


class MemberKind(StrEnum):
    EXPERT = "expert"
    REPRESENTATIVE = "representative"

    @property
    def label(self) -> str:
        return {"expert": "评审专家", "representative": "招标人（采购人）代表"}[self.value]


AUDIT_ACTION_LABELS = {
    "evaluation.scheme_set": "设定评标办法",
    "evaluation.open": "组建评标委员会",
    "evaluation.sign_in": "评委签到",
    "evaluation.chair_vote": "推举评标委员会负责人",
    "evaluation.review": "资格和符合性审查",
    "evaluation.review_close": "审查结束",
    "evaluation.clarify_ask": "要求投标人澄清",
    "evaluation.clarify_answer": "投标人澄清",
    "evaluation.adjust": "评标价格调整",
    "evaluation.scores_submit": "提交评分",
    "evaluation.report": "生成评标报告",
    "evaluation.sign": "签署评标报告",
    "evaluation.rate": "评价专家",
    "evaluation.review_start": "签到完毕，开始审查",
    "evaluation.complete": "评标报告签署完毕",
    "evaluation.site_create": "登记评标场地",
}
