"""Code values the datasets use.

``ENUMS`` are the specification's own enumerations (EnumMatch), as the reference lists them
(docs/exchange.md). ``DOMAINS`` (DomainMatch) are looked up upstream in the national dictionary
(the ``sys_dic`` table), whose contents were not available when this was written: the values
below are this platform's mapping, in the order the law lists the methods, and must be checked
against the provincial platform's dictionary before going live (only 29/``7`` 保险保函 is
confirmed by the reference). Keeping them here, as data, makes that check a one-file change.
"""

from __future__ import annotations

ENUMS: dict[str, dict[str, str]] = {
    "TRUE_OR_FALSE": {"0": "否", "1": "是"},
    "CQ_TRUE_OR_FALSE": {"F": "否", "T": "是"},
    "PRICE_UNIT": {"0": "元", "1": "万元"},
    "PRICE_FORM_CODE": {"1": "金额", "2": "费率/比率/优惠率/合格率等", "3": "单价", "9": "其他形式"},
    "RELATE_CODE": {"0": "非固定资产类项目", "1": "固定资产类项目"},
    "EXCEPITON_TYPE": {"1": "流标", "2": "终止开标", "3": "公告撤销", "9": "其他"},
}

DOMAINS: dict[str, dict[str, str]] = {
    # 招标方式 (招标投标法第十条: 公开招标和邀请招标)
    "1000": {"1": "公开招标", "2": "邀请招标", "9": "其他"},
    # 招标组织形式 (招标投标法第十二条: 自行招标或委托代理)
    "21": {"1": "自行招标", "2": "委托招标"},
    # 采购方式 (政府采购法第二十六条的顺序; 竞争性磋商 财库〔2014〕214号)
    "43": {
        "1": "公开招标",
        "2": "邀请招标",
        "3": "竞争性谈判",
        "4": "单一来源",
        "5": "询价",
        "6": "竞争性磋商",
        "9": "其他",
    },
    # 采购组织形式
    "44": {"1": "委托代理机构采购", "2": "采购人自行采购"},
    # 主体角色
    "26": {"01": "招标人", "02": "招标代理机构", "03": "投标人", "04": "采购人", "05": "采购代理机构", "06": "供应商"},
    # 主体代码类别
    "2001": {"1": "统一社会信用代码", "2": "组织机构代码", "9": "其他"},
    # 证件类型
    "7": {"01": "居民身份证"},
    # 保证金缴纳方式 (7 confirmed by the reference's dictionary script)
    "29": {"1": "现金", "2": "银行转账", "3": "银行保函", "7": "保险保函", "9": "其他"},
    # 公告性质
    "20": {"1": "正常公告", "2": "更正公告"},
    # 公告类型
    "32": {"1": "招标公告", "2": "资格预审公告", "3": "中标结果公告", "9": "其他"},
    # 公示类型
    "13": {"1": "中标候选人公示", "9": "其他"},
    # 评标结果
    "14": {"1": "推荐中标候选人", "2": "否决所有投标", "9": "其他"},
    # 专家类别
    "2007": {"1": "评标专家", "2": "招标人代表"},
    # 资格审查方式
    "30": {"1": "资格预审", "2": "资格后审"},
    # 招标项目类型 / 采购项目类型 (three characters)
    "10": {
        "A01": "房屋建筑和市政工程",
        "A02": "交通运输工程",
        "A03": "水利工程",
        "A99": "其他工程",
        "B01": "货物",
        "C01": "服务",
        "D01": "工程（政府采购）",
    },
}

# Our trading types and methods to those codes.
TENDER_MODE = {"construction_open": "1", "construction_invited": "2"}
PURCHASE_MODE = {
    "gp_open": "1",
    "gp_invited": "2",
    "gp_negotiation": "3",
    "gp_single_source": "4",
    "gp_rfq": "5",
    "gp_consultation": "6",
    "gp_framework": "9",
}
