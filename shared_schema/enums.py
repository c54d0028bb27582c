"""Every enumeration of docs/data-model.md as data: stable ASCII codes with zh/en labels.

Codes travel on the wire and never change; labels may be reworded freely (no data migration).
Terms follow the national 防止返贫动态监测和帮扶 system.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

LANGS: tuple[str, ...] = ("zh", "en")


def check_lang(lang: str) -> str:
    """Returns `lang` if it is a supported label language, else raises ValueError."""
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; expected one of {LANGS}")
    return lang


@dataclass(frozen=True)
class Option:
    """One code of an enumeration with its Chinese and English label."""

    code: str
    zh: str
    en: str

    def label(self, lang: str = "zh") -> str:
        return self.zh if check_lang(lang) == "zh" else self.en


@dataclass(frozen=True)
class Enumeration:
    """A named, ordered set of options (the order is the display order)."""

    name: str
    options: tuple[Option, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options)

    def option(self, code: str) -> Option:
        for o in self.options:
            if o.code == code:
                return o
        raise KeyError(f"{code!r} is not a code of enumeration {self.name!r}")

    def label(self, code: str, lang: str = "zh") -> str:
        return self.option(code).label(lang)

    def choices(self, lang: str = "zh") -> list[tuple[str, str]]:
        """(code, label) pairs for a picker, in display order."""
        return [(o.code, o.label(lang)) for o in self.options]


def _enum(name: str, *options: tuple[str, str, str]) -> Enumeration:
    return Enumeration(name, tuple(Option(*o) for o in options))


_ALL: tuple[Enumeration, ...] = (
    _enum(
        "household_type",
        ("lifted", "脱贫户", "Poverty-lifted household"),
        ("ordinary", "一般农户", "Ordinary rural household"),
    ),
    _enum(
        "monitor_category",
        ("unstable_lifted", "脱贫不稳定户", "Unstable poverty-lifted household"),
        ("marginal", "边缘易致贫户", "Marginal household prone to poverty"),
        ("sudden_hardship", "突发严重困难户", "Household with sudden severe hardship"),
    ),
    _enum(
        "house_grade",
        ("a", "A级（安全）", "Grade A (safe)"),
        ("b", "B级（安全）", "Grade B (safe)"),
        ("c", "C级（危房）", "Grade C (dangerous)"),
        ("d", "D级（危房）", "Grade D (dangerous)"),
    ),
    _enum(
        "id_type",
        ("resident_id", "居民身份证", "Resident ID card"),
        ("other", "其他证件", "Other document"),
    ),
    _enum(
        "relation",
        ("head", "户主", "Head of household"),
        ("spouse", "配偶", "Spouse"),
        ("child", "子女", "Child"),
        ("child_in_law", "儿媳或女婿", "Child-in-law"),
        ("parent", "父母", "Parent"),
        ("parent_in_law", "公婆或岳父母", "Parent-in-law"),
        ("grandchild", "孙子女或外孙子女", "Grandchild"),
        ("grandparent", "祖父母或外祖父母", "Grandparent"),
        ("sibling", "兄弟姐妹", "Sibling"),
        ("other", "其他", "Other"),
    ),
    _enum("sex", ("male", "男", "Male"), ("female", "女", "Female")),
    _enum(
        "education",
        ("illiterate", "文盲或半文盲", "Illiterate or semi-literate"),
        ("primary", "小学", "Primary school"),
        ("junior", "初中", "Junior secondary school"),
        ("senior", "高中", "Senior secondary school"),
        ("vocational", "中专（中职）", "Secondary vocational school"),
        ("college", "大专（高职）", "Junior college"),
        ("bachelor", "本科及以上", "Bachelor's degree or above"),
    ),
    _enum(
        "school_stage",
        ("preschool", "学前教育", "Preschool"),
        ("primary", "小学", "Primary school"),
        ("junior", "初中", "Junior secondary school"),
        ("senior", "普通高中", "Senior secondary school"),
        ("secondary_vocational", "中职", "Secondary vocational school"),
        ("higher_vocational", "高职", "Higher vocational college"),
        ("undergraduate", "本科", "Undergraduate"),
        ("postgraduate", "研究生", "Postgraduate"),
    ),
    _enum(
        "not_in_school_reason",
        ("illness", "因病", "Illness"),
        ("disability", "因残", "Disability"),
        ("family", "家庭原因", "Family reasons"),
        ("weariness", "厌学", "Weariness of school"),
        ("work", "外出务工", "Went to work"),
        ("other", "其他", "Other"),
    ),
    _enum(
        "health",
        ("healthy", "健康", "Healthy"),
        ("chronic", "长期慢性病", "Chronic illness"),
        ("serious_illness", "患有大病", "Serious illness"),
        ("disabled", "残疾", "Disabled"),
    ),
    _enum(
        "disability_category",
        ("visual", "视力残疾", "Visual disability"),
        ("hearing", "听力残疾", "Hearing disability"),
        ("speech", "言语残疾", "Speech disability"),
        ("physical", "肢体残疾", "Physical disability"),
        ("intellectual", "智力残疾", "Intellectual disability"),
        ("mental", "精神残疾", "Mental disability"),
        ("multiple", "多重残疾", "Multiple disabilities"),
    ),
    _enum(
        "labor_ability",
        ("ordinary", "普通劳动力", "Ordinary labour"),
        ("skilled", "技能劳动力", "Skilled labour"),
        ("weak", "弱劳动力或半劳动力", "Weak or half labour"),
        ("lost", "丧失劳动力", "Lost labour ability"),
        ("none", "无劳动力", "No labour ability"),
    ),
    _enum(
        "work_place",
        ("in_county", "县内", "Within the county"),
        ("in_province", "省内县外", "Within the province, outside the county"),
        ("out_of_province", "省外", "Outside the province"),
        ("abroad", "境外", "Abroad"),
    ),
    _enum(
        "medical_insurance",
        ("resident", "城乡居民基本医疗保险", "Resident basic medical insurance"),
        ("employee", "职工基本医疗保险", "Employee basic medical insurance"),
    ),
    _enum(
        "member_status",
        ("present", "在户", "Living in the household"),
        ("moved_out", "已迁出", "Moved out"),
        ("deceased", "已故", "Deceased"),
    ),
    _enum(
        "visit_type",
        ("routine", "日常走访", "Routine visit"),
        ("sweep", "集中排查", "Concentrated sweep"),
        ("look_back", "回头看", "Look-back re-check"),
        ("application_check", "申报核查", "Application check"),
        ("elimination_check", "风险消除核查", "Risk-elimination check"),
    ),
    _enum(
        "contact_mode",
        ("in_person", "入户走访", "In person"),
        ("phone", "电话", "Phone"),
        ("wechat", "微信", "WeChat"),
    ),
    _enum(
        "water_source",
        ("tap", "自来水", "Tap water"),
        ("well", "水井", "Well"),
        ("spring", "山泉水", "Spring"),
        ("cistern", "水窖", "Cistern"),
        ("trucked", "拉水送水", "Trucked water"),
        ("other", "其他", "Other"),
    ),
    _enum(
        "risk",
        ("illness", "因病", "Illness"),
        ("schooling", "因学", "Schooling costs"),
        ("disability", "因残", "Disability"),
        ("disaster", "因自然灾害", "Natural disaster"),
        ("accident", "因意外事故", "Accident"),
        ("industry_failure", "因产业项目失败", "Failed industry project"),
        ("unstable_work", "因务工就业不稳", "Unstable work"),
        ("lack_of_labor", "缺劳动力", "Lack of labour"),
        ("housing", "住房出现安全问题", "Housing safety problem"),
        ("water", "饮水安全问题", "Drinking-water problem"),
        ("dropout", "义务教育阶段辍学", "Dropout from compulsory education"),
        ("other", "其他", "Other"),
    ),
    _enum(
        "disaster_type",
        ("flood", "洪涝灾害", "Flood"),
        ("geological", "地质灾害", "Geological disaster"),
        ("drought", "干旱", "Drought"),
        ("biological", "生物灾害", "Biological disaster"),
        ("meteorological", "气象灾害", "Meteorological disaster"),
        ("earthquake", "地震", "Earthquake"),
        ("other", "其他", "Other"),
    ),
    _enum(
        "assistance",
        ("industry", "产业帮扶", "Industry support"),
        ("employment", "就业帮扶", "Employment support"),
        ("microcredit", "小额信贷", "Microcredit"),
        ("welfare_post", "公益岗位", "Public-welfare post"),
        ("housing", "住房安全保障", "Housing safety"),
        ("water", "饮水安全保障", "Drinking-water safety"),
        ("health", "健康帮扶", "Health support"),
        ("education", "教育帮扶", "Education support"),
        ("yulu", "雨露计划", "Yulu Plan (vocational training)"),
        ("dibao", "低保", "Minimum living allowance (dibao)"),
        ("tekun", "特困供养", "Extreme-poverty support (tekun)"),
        ("disability_subsidy", "残疾人两项补贴", "Disability subsidies"),
        ("social_assistance", "临时救助等社会救助", "Temporary and social assistance"),
        ("relocation", "易地扶贫搬迁", "Relocation"),
    ),
    _enum(
        "household_status",
        ("active", "在册", "On the register"),
        ("moved_away", "已迁出", "Moved away"),
        ("merged", "已合并", "Merged into another household"),
    ),
    _enum(
        "registration",
        ("field_new", "新登记", "New from the field"),
        ("confirmed", "已确认", "Confirmed"),
    ),
    _enum(
        "attachment_kind",
        ("house_photo", "住房照片", "House photo"),
        ("water_photo", "饮水点照片", "Water point photo"),
        ("member_photo", "成员照片", "Member photo"),
        ("signature", "农户签名", "Household signature"),
        ("document", "证明材料", "Document"),
    ),
    _enum(
        "review_status",
        ("submitted", "待审核", "Submitted"),
        ("approved", "已通过", "Approved"),
        ("returned", "已退回", "Returned"),
        ("rejected", "已驳回", "Rejected"),
    ),
)

ENUMS: dict[str, Enumeration] = {e.name: e for e in _ALL}


def label(enum_name: str, code: str, lang: str = "zh") -> str:
    """The label of `code` in enumeration `enum_name`; KeyError for an unknown name or code."""
    return ENUMS[enum_name].label(code, lang)


_IN_FORCE: ContextVar[Mapping[str, Collection[str]] | None] = ContextVar(
    "enum_codes_in_force", default=None
)


def codes_in_force(enum_name: str) -> Collection[str]:
    """The codes a value of `enum_name` is validated against: those of the published
    configuration version set by `enum_codes` around this validation, else the shipped ones."""
    override = _IN_FORCE.get()
    if override is not None and enum_name in override:
        return override[enum_name]
    return ENUMS[enum_name].codes


@contextmanager
def enum_codes(codes: Mapping[str, Collection[str]] | None) -> Iterator[None]:
    """Validate with these codes per enumeration inside the block (the server sets a visit's
    own configuration version here; a context variable, so each thread has its own)."""
    token = _IN_FORCE.set(codes)
    try:
        yield
    finally:
        _IN_FORCE.reset(token)


_SHOWN: ContextVar[Mapping[str, Enumeration] | None] = ContextVar(
    "enumerations_shown", default=None
)


def enumeration(enum_name: str) -> Enumeration | None:
    """The enumeration whose labels a person sees: the published configuration's (set by the
    server per console request with `show_enumerations`), else the shipped one; None when
    there is no such enumeration."""
    shown = _SHOWN.get()
    if shown is not None and enum_name in shown:
        return shown[enum_name]
    return ENUMS.get(enum_name)


def show_enumerations(enums: Mapping[str, Enumeration] | None) -> Token[Any]:
    """Label with `enums` in this context until `reset_enumerations(token)`."""
    return _SHOWN.set(enums)


def reset_enumerations(token: Token[Any]) -> None:
    _SHOWN.reset(token)
