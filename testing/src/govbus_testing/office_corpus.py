"""Sentences in the style of a municipal government office's 公文, for tests and benchmarks.

Written for the tests, held in the repository: a vocabulary of the office (机关, 事由, 刊物,
会议, 依据, 要求) and sentence patterns of 工作要点, 通知 and 会议纪要, combined by a seeded
random generator. The same seed gives the same sentences on every machine, so tests that
search a generated corpus (services/documents/tests/test_search_flow.py) and the search
benchmark (bench/search.py) need nothing outside the repository.

Import it from the test helpers: ``from govbus_testing import office_corpus``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

AGENCIES = (
    "市政府办公室", "市政府研究室", "市发展和改革委员会", "市教育局", "市科学技术局",
    "市经济和信息化局", "市公安局", "市民政局", "市司法局", "市财政局", "市人力资源和社会保障局",
    "市自然资源和规划局", "市生态环境局", "市住房和城乡建设局", "市交通运输局", "市水利和湖泊局",
    "市农业农村局", "市商务局", "市文化和旅游局", "市卫生健康委员会", "市退役军人事务局",
    "市应急管理局", "市审计局", "市市场监督管理局", "市统计局", "市医疗保障局", "市信访局",
    "市政务服务和大数据管理局", "市机关事务服务中心", "市档案局", "市国家保密局",
    "各县市区人民政府", "宜昌高新区管委会", "市直有关部门",
)
UNITS = (
    "各县市区人民政府", "市政府各部门", "各处室", "各乡镇人民政府", "各街道办事处",
    "各有关单位", "市直各单位", "各牵头单位", "各责任单位",
)
TOPICS = (
    "政务信息", "督查督办", "公文处理", "会议组织", "值班应急", "政务公开", "建议提案办理",
    "12345热线办理", "优化营商环境", "安全生产", "防汛抗旱", "老旧小区改造", "乡村振兴",
    "义务教育均衡发展", "基本医疗保障", "稳就业保民生", "城乡低保", "生态环境保护", "河湖长制",
    "重点项目建设", "招商引资", "财政预算执行", "政府采购", "国有资产管理", "审计整改",
    "机关作风建设", "保密管理", "文电运转", "调查研究", "信访工作", "粮食安全", "森林防火",
    "道路交通安全", "食品药品安全", "电子政务", "节能减排", "社会保险扩面", "住房保障",
    "农村人居环境整治", "长江大保护", "城市更新", "养老服务体系建设", "法治政府建设",
    "政务服务一网通办", "安全隐患排查", "文明城市创建", "统计数据质量", "机关节能",
    "公务接待管理", "应急物资储备",
)
FIELDS = (
    "教育", "卫生健康", "民政", "交通运输", "水利", "农业农村", "林业", "商务", "文化旅游",
    "住房城建", "自然资源", "生态环境", "市场监管", "应急管理", "人力资源", "医疗保障",
    "科技创新", "工业经济", "统计", "审计", "财政", "税收征管", "公共安全", "司法行政", "信访",
    "档案", "保密", "机关事务", "政务服务", "大数据", "粮食储备", "能源", "地方金融", "国有企业",
    "外事", "民族宗教", "退役军人", "全民健身", "广播电视", "气象服务", "防震减灾", "人民防空",
    "供销合作", "城市管理", "园林绿化", "消防救援", "住房公积金", "残疾人", "妇女儿童", "老龄",
)
ASPECTS = (
    "经费保障", "项目管理", "信息化建设", "队伍建设", "安全监管", "标准化建设", "绩效评价",
    "统计监测", "执法检查", "风险防控", "资金拨付", "规划编制", "政策宣传", "信用体系建设",
    "服务质量提升", "应急演练", "突出问题整改", "综合改革试点", "数据共享", "考核评估",
    "基础设施补短板", "专项治理", "示范创建", "基层基础", "制度建设",
)
VERBS = (
    "加强", "改进", "规范", "推进", "落实", "完善", "抓好", "做好", "深化", "统筹", "强化",
    "健全", "扎实开展", "认真组织", "全面推行", "切实抓好",
)
GOALS = (
    "做到有计划、有部署、有检查、有落实", "确保各项任务按期完成", "切实提高工作质量和效率",
    "不得推诿扯皮", "形成上下联动的工作合力", "做到件件有着落、事事有回音",
    "严格执行请示报告制度", "确保政令畅通", "坚持实事求是、求真务实",
    "不断提高参谋服务水平", "努力建立办事高效、运转协调、行为规范的运行体系",
    "为市领导决策提供及时准确的服务", "让群众办事更方便", "确保不发生重大责任事故",
    "做到守土有责、守土尽责", "推动工作提质增效", "切实减轻基层负担",
)
BASES = (
    "《党政机关公文处理工作条例》", "《中华人民共和国政府信息公开条例》", "《国务院工作规则》",
    "市委、市政府的决策部署", "省政府办公厅的有关通知", "市政府常务会议的安排",
    "《中华人民共和国保守国家秘密法》", "《信访工作条例》", "市政府工作报告确定的目标任务",
    "全市经济工作会议精神",
)
PERIODICALS = ("《政务内参》", "《信息摘报》", "《决策研究》", "《政务通讯》", "《督查通报》",
               "《值班信息》")
MEETINGS = ("市政府常务会议", "市长办公会议", "专题协调会", "全市工作会议", "电视电话会议",
            "季度工作讲评会", "现场推进会")
WHEN = ("今年", "年初", "上半年", "下半年", "第一季度", "第三季度", "每月", "每季度末", "年底前",
        "节假日期间", "汛期", "2024年", "2025年", "2026年")
DELIVERABLES = ("工作总结", "自查报告", "办理情况", "统计报表", "整改台账", "意见建议",
                "工作方案", "进展情况", "书面材料", "典型经验")
OUTCOMES = ("形成书面报告", "报市政府审定", "按程序提请审议", "通报全市", "纳入年度绩效考核",
            "抄送市委督查室", "在政府门户网站公开", "报分管副市长阅示", "印发各地执行")
PEOPLE = ("主要负责同志", "分管负责同志", "联络员", "值班人员", "承办人员", "机要人员")
PLACES = (
    "夷陵区", "西陵区", "伍家岗区", "点军区", "猇亭区", "宜都市", "当阳市", "枝江市", "远安县",
    "兴山县", "秭归县", "长阳土家族自治县", "五峰土家族自治县", "宜昌高新区", "三峡坝区",
    "小溪塔街道", "龙泉镇", "土门工业园", "白洋港区", "三斗坪镇",
)
PROJECTS = (
    "城区污水管网改造工程", "沿江大道综合整治项目", "中心城区停车场建设", "城市书房建设",
    "农村公路提档升级", "高标准农田建设", "中小学校舍维修", "基层医疗卫生机构标准化建设",
    "社区养老服务中心", "智慧政务服务平台", "应急广播体系", "柑橘产业园", "磷化工转型升级",
    "三峡旅游新区", "保障性租赁住房", "小流域综合治理", "城乡供水一体化", "物流园区",
    "技工学校实训基地", "政务外网升级",
)
ASKS = (
    "请示事项", "汇报材料", "督办通知", "会议纪要", "领导批示件", "人大代表建议", "政协委员提案",
    "群众来信", "来访事项", "网民留言", "政务舆情", "突发事件信息",
)
PROBLEMS = ("推进缓慢", "责任不落实", "材料报送不及时", "数据不准确", "整改不到位",
            "群众反映强烈", "办理质量不高")


def _pick(rng: random.Random, words: Sequence[str]) -> str:
    return words[rng.randrange(len(words))]


def _topic(rng: random.Random) -> str:
    """An office topic, or a field's aspect (教育 + 经费保障): many topics, as in real files."""
    if rng.random() < 0.4:
        return _pick(rng, TOPICS)
    return _pick(rng, FIELDS) + _pick(rng, ASPECTS)


def _patterns() -> list[Callable[[random.Random], str]]:
    def p(rng: random.Random, words: Sequence[str]) -> str:
        return _topic(rng) if words is TOPICS else _pick(rng, words)

    return [
        lambda r: f"{p(r, AGENCIES)}要{p(r, VERBS)}{p(r, TOPICS)}工作，{p(r, GOALS)}",
        lambda r: f"{p(r, WHEN)}，{p(r, AGENCIES)}{p(r, VERBS)}{p(r, TOPICS)}，"
                  f"共办理{r.randint(12, 980)}件，办结率达到{r.randint(85, 100)}%",
        lambda r: f"{p(r, UNITS)}要按照{p(r, BASES)}的要求，{p(r, VERBS)}{p(r, TOPICS)}",
        lambda r: f"{p(r, TOPICS)}工作由{p(r, AGENCIES)}牵头，{p(r, AGENCIES)}配合，"
                  f"{p(r, WHEN)}{p(r, OUTCOMES)}",
        lambda r: f"全年编辑{p(r, PERIODICALS)}不少于{r.randint(4, 24)}期，"
                  f"{p(r, VERBS)}{p(r, TOPICS)}信息报送",
        lambda r: f"对{p(r, TOPICS)}中{p(r, PROBLEMS)}的问题，{p(r, AGENCIES)}要限期整改，"
                  f"{p(r, GOALS)}",
        lambda r: f"{p(r, MEETINGS)}研究了{p(r, TOPICS)}问题，会议要求{p(r, UNITS)}{p(r, GOALS)}",
        lambda r: f"请{p(r, UNITS)}于{r.randint(1, 12)}月{r.randint(1, 28)}日前将"
                  f"{p(r, TOPICS)}{p(r, DELIVERABLES)}报送{p(r, AGENCIES)}",
        lambda r: f"根据{p(r, BASES)}，结合我市实际，现就{p(r, VERBS)}{p(r, TOPICS)}提出如下意见",
        lambda r: f"进一步{p(r, VERBS)}{p(r, TOPICS)}，{p(r, GOALS)}",
        lambda r: f"{p(r, UNITS)}{p(r, PEOPLE)}要亲自过问{p(r, TOPICS)}，{p(r, GOALS)}",
        lambda r: f"{p(r, WHEN)}共安排{p(r, TOPICS)}资金{r.randint(120, 98000)}万元，"
                  f"由{p(r, AGENCIES)}统筹使用",
        lambda r: f"{p(r, AGENCIES)}{p(r, WHEN)}组织开展{p(r, TOPICS)}专项督查，"
                  f"发现问题{r.randint(3, 160)}个，已整改{r.randint(1, 150)}个",
        lambda r: f"各地各部门要把{p(r, TOPICS)}摆上重要议事日程，"
                  f"由{p(r, PEOPLE)}具体负责，{p(r, GOALS)}",
        lambda r: f"{p(r, MEETINGS)}议定的{p(r, TOPICS)}事项，由{p(r, AGENCIES)}跟踪督办，"
                  f"每{_pick(r, ('周', '月', '季度'))}报送一次{p(r, DELIVERABLES)}",
        lambda r: f"严格落实{p(r, TOPICS)}责任制，对{p(r, PROBLEMS)}的单位予以通报批评",
        lambda r: f"{p(r, PLACES)}{p(r, PROJECTS)}{p(r, WHEN)}完成投资{r.randint(300, 56000)}万元，"
                  f"{p(r, AGENCIES)}要加强调度，确保{r.randint(6, 12)}月底前建成",
        lambda r: f"{p(r, PLACES)}反映的{p(r, PROJECTS)}用地问题，"
                  f"请{p(r, AGENCIES)}会同{p(r, AGENCIES)}研究提出办理意见",
        lambda r: f"市政府办公室{p(r, WHEN)}共收到{p(r, ASKS)}{r.randint(20, 3600)}件，"
                  f"按期办结{r.randint(10, 3500)}件，其中{p(r, TOPICS)}方面的占"
                  f"{r.randint(5, 60)}%",
        lambda r: f"对{p(r, ASKS)}中涉及{p(r, PLACES)}{p(r, TOPICS)}的事项，"
                  f"由{p(r, AGENCIES)}在{r.randint(3, 15)}个工作日内答复",
        lambda r: f"{p(r, MEETINGS)}听取了{p(r, PLACES)}{p(r, PROJECTS)}进展情况的汇报，"
                  f"同意{p(r, AGENCIES)}提出的{p(r, DELIVERABLES)}，{p(r, GOALS)}",
        lambda r: f"{p(r, PLACES)}要把{p(r, PROJECTS)}作为{p(r, WHEN)}的重点工作，"
                  f"{p(r, VERBS)}{p(r, TOPICS)}，{p(r, GOALS)}，{p(r, OUTCOMES)}",
    ]


def sentences(seed: int = 20260302, count: int = 1200) -> list[str]:
    """``count`` distinct sentences (8 to 120 characters, no final 。), the same for a seed."""
    rng = random.Random(seed)
    patterns = _patterns()
    out: dict[str, None] = {}
    tries = 0
    while len(out) < count:
        tries += 1
        if tries > count * 50:
            raise ValueError(f"the vocabulary gives fewer than {count} distinct sentences")
        sentence = patterns[rng.randrange(len(patterns))](rng)
        if 8 <= len(sentence) <= 120:
            out[sentence] = None
    return list(out)
