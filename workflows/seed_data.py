"""Demonstration organisation, people, measures and findings for 营商通办.

The data follows the four seed documents in ``/work/shared/seeds/``:

* 金平区全面优化营商环境领导小组工作制度 (jinping-leading-group-work-rules.txt): the leading
  group, its office, the thematic groups 宣传推介 / 专项治理 / 督查督办, the rule that measures go
  from the lead unit to the group leader (一(三)/(四)), inspection and rectification (四(二)).
* 红谷滩区 2022 行动方案 (honggutan-2022-action-plan.txt): the office in 区发改委, the district
  bureaus named as lead and responsible units of the 30 tasks, the "乡、街道、管理处" level.
* 龙南优化营商环境工作推进机制 (longnan-2023-work-mechanism.txt): the 16 indicator task forces,
  third-party evaluation feedback, monitoring items, monthly inspection with 纪委监委 and 督查室.
* 2023 年营商环境工作要点汇编 (2023-work-points-compilation.txt): lead units per indicator
  (市场监管 for 市场准入, 住建 for 建筑许可 and 水气报装, 法院 for 破产, 财政 for 政府采购 …),
  公平竞争审查, the 12345 hotline and 挂牌督办.

The seeds do not name individual streets or townships, nor any person other than the 红谷滩
action leaders; street names below are plausible local names and every person is fictitious.
"""

UNITS: list[dict[str, str]] = [
    # 领导小组办公室 and the district government
    {"code": "office", "name": "领导小组办公室（区营商办，设在区发改委）", "short_name": "区营商办", "kind": "office"},
    {"code": "district_gov", "name": "区人民政府", "short_name": "区政府", "kind": "government"},
    # district bureaus, vertically managed bureaus, party departments, state-owned utilities
    {"code": "drc", "name": "区发改委", "kind": "bureau"},
    {"code": "gov_data", "name": "区政数局", "kind": "bureau"},
    {"code": "amr", "name": "区市场监管局", "kind": "bureau"},
    {"code": "tax", "name": "区税务局", "kind": "vertical"},
    {"code": "justice", "name": "区司法局", "kind": "bureau"},
    {"code": "natural_resources", "name": "区自然资源和规划分局", "kind": "vertical"},
    {"code": "housing", "name": "区住建局", "kind": "bureau"},
    {"code": "hrss", "name": "区人社局", "kind": "bureau"},
    {"code": "finance", "name": "区财政局", "kind": "bureau"},
    {"code": "public_security", "name": "区公安分局", "kind": "vertical"},
    {"code": "medical_insurance", "name": "区医保局", "kind": "bureau"},
    {"code": "commerce", "name": "区商务局", "kind": "bureau"},
    {"code": "sme", "name": "区中小企业服务局", "kind": "bureau"},
    {"code": "finance_office", "name": "区金融办", "kind": "bureau"},
    {"code": "sci_industry", "name": "区科工局", "kind": "bureau"},
    {"code": "urban_mgmt", "name": "区城管执法局", "kind": "bureau"},
    {"code": "eco_env", "name": "区生态环境局", "kind": "bureau"},
    {"code": "court", "name": "区人民法院", "kind": "other"},
    {"code": "fed_commerce", "name": "区工商联", "kind": "other"},
    {"code": "politics_law", "name": "区委政法委", "kind": "party"},
    {"code": "propaganda", "name": "区委宣传部", "kind": "party"},
    {"code": "organization", "name": "区委组织部", "kind": "party"},
    {"code": "party_gov_office", "name": "区党政办", "kind": "bureau"},
    {"code": "power", "name": "国网区供电公司", "kind": "soe"},
    {"code": "water", "name": "区供水公司", "kind": "soe"},
    {"code": "gas", "name": "区燃气公司", "kind": "soe"},
    # streets, townships and 管理处 ("各乡、街道、管理处")
    {"code": "street_shajing", "name": "沙井街道", "kind": "street"},
    {"code": "street_weidong", "name": "卫东街道", "kind": "street"},
    {"code": "street_shengmi", "name": "生米街道", "kind": "street"},
    {"code": "street_hongjiaozhou", "name": "红角洲管理处", "kind": "street"},
    {"code": "street_jiulonghu", "name": "九龙湖管理处", "kind": "street"},
    {"code": "street_houtian", "name": "厚田乡", "kind": "street"},
    # supervision
    {"code": "inspection", "name": "区委督查室（区政府督查室）", "short_name": "督查室", "kind": "inspection"},
    {"code": "discipline", "name": "区纪委监委", "kind": "discipline"},
]


def _leader(code: str, name: str, title: str) -> dict[str, str]:
    return {"username": f"leader_{code}", "name": name, "title": title}


GROUPS: list[dict] = [
    # 龙南: 16 个营商环境指标专班
    {
        "code": "start_business",
        "name": "开办企业指标组",
        "kind": "indicator",
        "lead_unit": "amr",
        "members": ["gov_data", "tax", "public_security", "hrss", "medical_insurance", "commerce"],
        "leader": {"username": "leader", "name": "周建华", "title": "区政府副区长"},
    },
    {
        "code": "construction_permit",
        "name": "办理建筑许可指标组",
        "kind": "indicator",
        "lead_unit": "housing",
        "members": ["drc", "natural_resources", "eco_env", "gov_data", "urban_mgmt"],
        "leader": _leader("construction_permit", "黄志远", "区政府副区长"),
    },
    {
        "code": "electricity",
        "name": "获得电力指标组",
        "kind": "indicator",
        "lead_unit": "power",
        "members": ["drc", "natural_resources", "housing", "urban_mgmt", "gov_data"],
        "leader": _leader("electricity", "吴海涛", "区政府副区长"),
    },
    {
        "code": "water_gas",
        "name": "获得用水用气指标组",
        "kind": "indicator",
        "lead_unit": "housing",
        "members": ["water", "gas", "natural_resources", "urban_mgmt", "gov_data"],
        "leader": _leader("water_gas", "郑国平", "区政府副区长"),
    },
    {
        "code": "property_registration",
        "name": "登记财产指标组",
        "kind": "indicator",
        "lead_unit": "natural_resources",
        "members": ["tax", "housing", "gov_data", "water", "gas"],
        "leader": _leader("property_registration", "孙立新", "区政府副区长"),
    },
    {
        "code": "taxation",
        "name": "纳税指标组",
        "kind": "indicator",
        "lead_unit": "tax",
        "members": ["finance", "gov_data", "public_security", "medical_insurance", "hrss"],
        "leader": _leader("taxation", "胡文斌", "区委常委、常务副区长"),
    },
    {
        "code": "insolvency",
        "name": "办理破产指标组",
        "kind": "indicator",
        "lead_unit": "court",
        "members": ["hrss", "natural_resources", "housing", "medical_insurance", "tax", "amr"],
        "leader": _leader("insolvency", "刘静", "区委常委、区委政法委书记"),
    },
    {
        "code": "credit",
        "name": "获得信贷指标组",
        "kind": "indicator",
        "lead_unit": "finance_office",
        "members": ["sme", "finance", "sci_industry", "hrss", "fed_commerce", "commerce"],
        "leader": _leader("credit", "陈晓东", "区政府副区长"),
    },
    {
        "code": "contracts",
        "name": "执行合同指标组",
        "kind": "indicator",
        "lead_unit": "court",
        "members": ["politics_law", "justice", "public_security", "fed_commerce"],
        "leader": _leader("contracts", "杨帆", "区政府副区长"),
    },
    {
        "code": "labor_market",
        "name": "劳动力市场监管指标组",
        "kind": "indicator",
        "lead_unit": "hrss",
        "members": ["justice", "public_security", "finance", "court", "fed_commerce"],
        "leader": _leader("labor_market", "林秀英", "区政府副区长"),
    },
    {
        "code": "procurement",
        "name": "政府采购指标组",
        "kind": "indicator",
        "lead_unit": "finance",
        "members": ["gov_data", "amr", "drc", "sme"],
        "leader": _leader("procurement", "何建军", "区政府副区长"),
    },
    {
        "code": "bidding",
        "name": "招标投标指标组",
        "kind": "indicator",
        "lead_unit": "housing",
        "members": ["drc", "sci_industry", "commerce", "urban_mgmt", "gov_data"],
        "leader": _leader("bidding", "马丽", "区政府副区长"),
    },
    {
        "code": "gov_services",
        "name": "政务服务指标组",
        "kind": "indicator",
        "lead_unit": "gov_data",
        "members": [
            "amr",
            "hrss",
            "medical_insurance",
            "tax",
            "public_security",
            "street_shajing",
            "street_weidong",
            "street_shengmi",
            "street_hongjiaozhou",
            "street_jiulonghu",
            "street_houtian",
        ],
        "leader": _leader("gov_services", "许振宇", "区委常委、常务副区长"),
    },
    {
        "code": "ip",
        "name": "知识产权创造保护和运用指标组",
        "kind": "indicator",
        "lead_unit": "amr",
        "members": ["court", "public_security", "justice", "sci_industry"],
        "leader": _leader("ip", "徐梅", "区政府副区长"),
    },
    {
        "code": "market_regulation",
        "name": "市场监管指标组",
        "kind": "indicator",
        "lead_unit": "amr",
        "members": ["justice", "gov_data", "urban_mgmt", "eco_env", "tax"],
        "leader": _leader("market_regulation", "曹文华", "区政府副区长"),
    },
    {
        "code": "inclusive_innovation",
        "name": "包容普惠创新指标组",
        "kind": "indicator",
        "lead_unit": "drc",
        "members": ["sci_industry", "hrss", "eco_env", "commerce", "medical_insurance"],
        "leader": _leader("inclusive_innovation", "邓志强", "区政府副区长"),
    },
    # 金平: 专题组
    {
        "code": "publicity",
        "name": "宣传推介专题组",
        "kind": "thematic",
        "lead_unit": "propaganda",
        "members": ["office", "drc", "gov_data", "commerce", "fed_commerce"],
        "leader": _leader("publicity", "高丽华", "区委常委、宣传部部长"),
    },
    {
        "code": "special_governance",
        "name": "专项治理专题组",
        "kind": "thematic",
        "lead_unit": "discipline",
        "members": ["organization", "inspection", "justice", "amr", "gov_data"],
        "leader": _leader("special_governance", "罗建平", "区委常委、区纪委书记、区监委主任"),
    },
    {
        "code": "supervision",
        "name": "督查督办专题组",
        "kind": "thematic",
        "lead_unit": "inspection",
        "members": [
            "party_gov_office",
            "office",
            "discipline",
            "street_shajing",
            "street_weidong",
            "street_shengmi",
        ],
        "leader": _leader("supervision", "谢明", "区委常委、区委办主任"),
    },
    # 金平: 领导小组 itself, its office in the DRC
    {
        "code": "leading_group",
        "name": "全面优化营商环境领导小组",
        "kind": "leading_group",
        "lead_unit": "office",
        "members": ["district_gov", "drc", "gov_data", "amr", "tax", "justice", "finance", "inspection", "discipline"],
        "leader": _leader("leading_group", "钟国强", "区委书记"),
    },
    # 红谷滩: 五大专项行动, each with a 牵头领导 and a 总责任单位
    {
        "code": "action_service_satisfaction",
        "name": "提升政务服务满意度专项行动组",
        "kind": "special_action",
        "lead_unit": "gov_data",
        "members": ["amr", "tax", "natural_resources", "public_security"],
        "leader": _leader("action_service_satisfaction", "许文军", "区政府副区长"),
    },
    {
        "code": "action_cost_reduction",
        "name": "降低企业成本专项行动组",
        "kind": "special_action",
        "lead_unit": "drc",
        "members": ["finance_office", "sme", "finance", "power", "water", "gas"],
        "leader": _leader("action_cost_reduction", "马永新", "区政府副区长"),
    },
    {
        "code": "action_entrepreneur_rights",
        "name": "企业家权益保护专项行动组",
        "kind": "special_action",
        "lead_unit": "politics_law",
        "members": ["court", "justice", "public_security", "fed_commerce"],
        "leader": _leader("action_entrepreneur_rights", "冯立明", "区政府副区长"),
    },
    {
        "code": "action_enterprise_services",
        "name": "涉企服务优化专项行动组",
        "kind": "special_action",
        "lead_unit": "commerce",
        "members": ["sme", "sci_industry", "hrss", "fed_commerce"],
        "leader": _leader("action_enterprise_services", "韩志刚", "区政府副区长"),
    },
    {
        "code": "action_conduct_accountability",
        "name": "作风建设监督问责专项行动组",
        "kind": "special_action",
        "lead_unit": "discipline",
        "members": ["organization", "inspection", "party_gov_office"],
        "leader": _leader("action_conduct_accountability", "邵建军", "区委常委、区纪委书记"),
    },
]


DEMO_USERS: list[dict] = [
    {"username": "admin", "name": "王磊", "unit": "office", "roles": ["admin", "office"], "groups": []},
    {"username": "office", "name": "李娜", "unit": "office", "roles": ["office"], "groups": []},
    {
        "username": "leader",
        "name": "周建华",
        "unit": "district_gov",
        "roles": ["group_leader"],
        "groups": ["start_business"],
    },
    {
        "username": "drafter",
        "name": "张婷",
        "unit": "amr",
        "roles": ["drafter", "unit_staff"],
        "groups": ["start_business"],
    },
    {"username": "inspector", "name": "赵强", "unit": "inspection", "roles": ["inspector"], "groups": []},
    {"username": "unit", "name": "陈静", "unit": "gov_data", "roles": ["unit_staff"], "groups": []},
    {"username": "unit2", "name": "刘洋", "unit": "tax", "roles": ["unit_staff"], "groups": []},
    {"username": "unit_head", "name": "杨光", "unit": "gov_data", "roles": ["unit_head"], "groups": []},
    {"username": "justice", "name": "黄敏", "unit": "justice", "roles": ["legality_reviewer"], "groups": []},
    {
        "username": "amr_reviewer",
        "name": "吴丹",
        "unit": "amr",
        "roles": ["competition_reviewer"],
        "groups": [],
    },
    {"username": "discipline", "name": "孙鹏", "unit": "discipline", "roles": ["discipline"], "groups": []},
] + [
    {
        "username": group["leader"]["username"],
        "name": group["leader"]["name"],
        "unit": "district_gov",
        "roles": ["group_leader"],
        "groups": [group["code"]],
    }
    for group in GROUPS
    if group["leader"]["username"] != "leader"
]


SAMPLE_MEASURES: list[dict[str, str]] = [
    {
        "title": "推行企业开办“一照通办、一日办结”",
        "content": (
            "大力推广电子营业执照应用，推动跨行业跨领域许可证集成办理；深化“一照多址”“一址多照”"
            "改革，企业开办全流程一日办结，全面实施简易注销，落实歇业备案制度。"
        ),
        "group": "start_business",
        "basis": "红谷滩区2022年行动方案 二(四)第22项“健全市场主体准入和退出机制”",
        "kind": "general",
    },
    {
        "title": "政务服务事项“全程网办”攻坚",
        "content": (
            "推行“赣服通”前端受理、“赣政通”后端办理的“前店后厂”模式，推进电子证照、电子印章互通"
            "互认，2022年底前实现100%事项“网上可办”、90%以上事项“全程网办”。"
        ),
        "group": "gov_services",
        "basis": "红谷滩区2022年行动方案 二(一)第1项“大力推进政务服务‘网上办’”",
        "kind": "general",
    },
    {
        "title": "落实小微企业“六税两费”减免，开展“万名税干访万企”",
        "content": (
            "围绕中小微企业、个体工商户和制造业，落实制造业中小微企业延缓缴纳税收政策和小微企业"
            "“六税两费”减免政策，组织“万名税干访万企”活动收集诉求、精细服务。"
        ),
        "group": "taxation",
        "basis": "红谷滩区2022年行动方案 二(二)第10项“减轻企业负担”",
        "kind": "general",
    },
    {
        "title": "政府采购支持中小企业若干措施",
        "content": (
            "严禁以注册资本金、资产总额、营业收入等规模条件对中小企业实行差别待遇；非专门面向小微"
            "企业的项目对小微企业报价给予10%的扣除；推广金融机构保函替代现金保证金，未中标项目书面"
            "告知原因。"
        ),
        "group": "procurement",
        "basis": "红谷滩区2022年行动方案 二(四)第23项；2023年工作要点汇编“深化政府采购和招标投标改革”",
        "kind": "normative",
    },
    {
        "title": "轻微违法行为免罚和“首违不罚”清单",
        "content": (
            "对不触碰安全底线的商事主体实施包容审慎监管，在更多领域依法推行轻微违法行为免罚和"
            "“首违不罚”清单，推广“企业安静日”，规范涉企检查行为。"
        ),
        "group": "market_regulation",
        "basis": "红谷滩区2022年行动方案 二(三)第14项“推行公正审慎执法”",
        "kind": "normative",
    },
    {
        "title": "清理招标投标领域不合理限制和壁垒",
        "content": (
            "清除对不同所有制企业设置的各类不合理限制和壁垒，对涉及工程项目招投标的规范性文件及其他"
            "政策文件全面清理；推广远程异地评标、不见面开标，建立投诉处理机制。"
        ),
        "group": "bidding",
        "basis": "红谷滩区2022年行动方案 二(四)第24项“健全招投标机制”",
        "kind": "normative",
    },
    {
        "title": "改革政策同步发布简本、解读材料和办事指南",
        "content": (
            "各项改革政策出台时，同步推出简本、解读材料、流程图、办事指南，在各部门网站和相关媒体"
            "同时发布；以研讨会、交流会等形式组织政策宣讲，解读新政策、演示新流程。"
        ),
        "group": "publicity",
        "basis": "金平区领导小组工作制度 三(二)“宣传制度”；红谷滩区2022年行动方案 四(四)",
        "kind": "general",
    },
    {
        "title": "推行破产预重整制度，健全重整企业信用修复机制",
        "content": (
            "对具有重整价值的困境企业推行预重整，完善府院联动机制，健全企业破产重整信用修复机制，"
            "压缩收回债务所需时间。"
        ),
        "group": "insolvency",
        "basis": "红谷滩区2022年行动方案 第22项；2023年工作要点汇编“办理破产”",
        "kind": "normative",
    },
]


SAMPLE_CASES: list[dict] = [
    {
        "source": "third_party",
        "description": (
            "2022年度省营商环境第三方评价反馈：企业开办“一网通办”平台与税务、社保系统数据未共享，"
            "申请人需重复填报同一信息，未做到“相同材料只交一次”。"
        ),
        "group": "start_business",
        "unit": "gov_data",
        "deadline_days": 15,
    },
    {
        "source": "undercover",
        "description": (
            "明察暗访发现：区政务服务大厅部分窗口未落实“无差别受理”，工作时间有人员离岗，"
            "对材料形式审查要点解释不一。"
        ),
        "group": "gov_services",
        "unit": "gov_data",
        "deadline_days": 5,
    },
    {
        "source": "hotline",
        "description": (
            "12345热线企业诉求：小微企业反映“六税两费”减免未能自动享受，需到办税大厅多次补充材料。"
        ),
        "group": "taxation",
        "unit": "tax",
        "deadline_days": 7,
    },
    {
        "source": "monitoring",
        "description": (
            "营商环境监测点企业反映：同一月内接受多个部门重复检查，“企业安静日”“有事必服、无事不扰”未落实。"
        ),
        "group": "market_regulation",
        "unit": "amr",
        "deadline_days": 10,
    },
    {
        "source": "inspection",
        "description": (
            "督查督办专题组综合督查：区本级行政许可事项清单未按期编制公布，清单外变相许可未清理。"
        ),
        "group": "gov_services",
        "unit": "gov_data",
        "deadline_days": 20,
    },
    {
        "source": "third_party",
        "description": (
            "第三方评价反馈：用户建设区划红线至公共管网的入网工程费用仍由企业承担，"
            "未按规定由供电企业和政府分别承担。"
        ),
        "group": "electricity",
        "unit": "power",
        "deadline_days": 15,
    },
    {
        "source": "inspection",
        "description": (
            "月底督查发现：部分在建工程项目存在拖欠农民工工资问题，未按《保障农民工工资支付条例》"
            "落实工资专户和实名制管理。"
        ),
        "group": "labor_market",
        "unit": "hrss",
        "deadline_days": 10,
    },
    {
        "source": "hotline",
        "description": ("12345热线投诉：政府采购项目结束后投标保证金长期未退还，供应商资金被占用。"),
        "group": "procurement",
        "unit": "finance",
        "deadline_days": 3,
    },
]
