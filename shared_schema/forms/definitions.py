"""The three forms the app renders and the console shows: visit, member, household.

Labels and units come from `shared_schema.labels` (one wording everywhere); help texts, section
titles and computed values are defined here. Bump a form's `version` whenever its fields,
order or conditions change: phones cache the definition and compare versions.
"""

from __future__ import annotations

from typing import Any

from shared_schema.enums import label as enum_label
from shared_schema.forms.model import FieldDef, FormDef, SectionDef, evidence_path, form_to_dict
from shared_schema.labels import field_label, field_unit

MAX_RISKS = 5


def wire(
    entity: str,
    path: str,
    widget: str,
    *,
    enum: str | None = None,
    required: bool = False,
    relevant: str | None = None,
    help: tuple[str, str] = ("", ""),
    max_items: int | None = None,
    required_when: str | None = None,
) -> FieldDef:
    """A field stored in a record, labelled from `shared_schema.labels`."""
    return FieldDef(
        path=path,
        widget=widget,
        label_zh=field_label(entity, path, "zh"),
        label_en=field_label(entity, path, "en"),
        entity=entity,
        enum=enum,
        required=required,
        unit_zh=field_unit(entity, path, "zh"),
        unit_en=field_unit(entity, path, "en"),
        help_zh=help[0],
        help_en=help[1],
        relevant=relevant,
        max_items=max_items,
        required_when=required_when,
    )


EVIDENCE_REQUIRED_WHEN = "visit_type == 'elimination_check' and contact_mode == 'in_person'"
"""The risk-elimination check needs a house photo and the household's signature (in person)."""
MAX_PHOTOS_PER_KIND = 3


def evidence(
    kind: str,
    widget: str,
    *,
    help: tuple[str, str] = ("", ""),
    required_when: str | None = None,
) -> FieldDef:
    """A visit's photos (or signature) of one attachment kind, shown for in-person visits;
    labelled with the kind's label in the `attachment_kind` enumeration (one wording)."""
    return FieldDef(
        path=evidence_path(kind),
        widget=widget,
        label_zh=enum_label("attachment_kind", kind, "zh"),
        label_en=enum_label("attachment_kind", kind, "en"),
        entity="visit",
        help_zh=help[0],
        help_en=help[1],
        relevant="contact_mode == 'in_person'",
        attachment_kind=kind,
        required_when=required_when,
        max_items=MAX_PHOTOS_PER_KIND if widget == "photo" else None,
    )


def computed(
    name: str,
    widget: str,
    label: tuple[str, str],
    help: tuple[str, str],
    unit: tuple[str, str] | None = None,
) -> FieldDef:
    """A read-only value the app computes with `forms.live.computed_values` (key `name`)."""
    return FieldDef(
        path=name,
        widget=widget,
        label_zh=label[0],
        label_en=label[1],
        entity="computed",
        unit_zh=unit[0] if unit else None,
        unit_en=unit[1] if unit else None,
        help_zh=help[0],
        help_en=help[1],
        read_only=True,
        computed=name,
    )


YUAN = ("元", "yuan")
TWELVE_MONTHS = ("近 12 个月合计，单位元。", "Total of the last 12 months, in yuan.")

MEMBER_FORM = FormDef(
    form_id="member",
    version=1,
    entity="member",
    title_zh="家庭成员",
    title_en="Household member",
    sections=(
        SectionDef(
            key="identity",
            title_zh="基本信息",
            title_en="Identity",
            fields=(
                wire("member", "name", "text", required=True),
                wire("member", "id_type", "select", enum="id_type", required=True),
                wire(
                    "member",
                    "id_number",
                    "id_number",
                    required=True,
                    help=(
                        "居民身份证号码为 18 位，出生日期和性别由号码自动带出。",
                        "A resident ID number has 18 characters; birth date and sex are "
                        "taken from it.",
                    ),
                ),
                wire("member", "relation", "select", enum="relation", required=True),
                wire("member", "sex", "select", enum="sex", required=True),
                wire("member", "birth_date", "date", required=True),
                computed(
                    "age",
                    "integer",
                    ("年龄", "Age"),
                    ("走访当日的周岁年龄。", "Age in whole years on the visit date."),
                    ("岁", "years"),
                ),
                wire("member", "status", "select", enum="member_status", required=True),
                wire("member", "phone", "phone"),
            ),
        ),
        SectionDef(
            key="education",
            title_zh="教育",
            title_en="Education",
            fields=(
                wire(
                    "member",
                    "school_stage",
                    "select",
                    enum="school_stage",
                    relevant="not education",
                    help=("正在上学的填写在校阶段。", "For someone at school: the current stage."),
                ),
                wire(
                    "member",
                    "education",
                    "select",
                    enum="education",
                    relevant="not school_stage",
                    help=(
                        "已离开学校的填写最高文化程度（与在校阶段二选一）。",
                        "For someone no longer at school: the highest level reached "
                        "(either this or the school stage).",
                    ),
                ),
                wire(
                    "member",
                    "not_in_school_reason",
                    "select",
                    enum="not_in_school_reason",
                    required=True,
                    relevant="age >= 6 and age <= 16 and not school_stage",
                    help=(
                        "6–16 岁未在校的，必须说明原因。",
                        "A member aged 6-16 who is not at school needs a reason.",
                    ),
                ),
            ),
        ),
        SectionDef(
            key="health",
            title_zh="健康",
            title_en="Health",
            fields=(
                wire(
                    "member",
                    "health",
                    "multiselect",
                    enum="health",
                    required=True,
                    help=("“健康”不能与其他选项同选。", "“Healthy” cannot be combined."),
                ),
                wire(
                    "member",
                    "disability_category",
                    "select",
                    enum="disability_category",
                    required=True,
                    relevant="'disabled' in health",
                ),
                wire(
                    "member",
                    "disability_grade",
                    "integer",
                    required=True,
                    relevant="'disabled' in health",
                    help=("1–4 级，1 级最重。", "Grade 1-4; grade 1 is the most severe."),
                ),
                wire(
                    "member",
                    "medical_insurance",
                    "multiselect",
                    enum="medical_insurance",
                    help=(
                        "都未参加则不选；不应同时参加两种。",
                        "Leave empty if uninsured; one scheme only, never both.",
                    ),
                ),
                wire("member", "pension_insurance", "checkbox"),
            ),
        ),
        SectionDef(
            key="work",
            title_zh="劳动与就业",
            title_en="Labour and work",
            fields=(
                wire("member", "labor_ability", "select", enum="labor_ability", required=True),
                wire(
                    "member",
                    "work_place",
                    "select",
                    enum="work_place",
                    relevant="labor_ability not in ['lost', 'none']",
                    help=("近 12 个月外出务工的地点。", "Where they worked in the last 12 months."),
                ),
                wire(
                    "member",
                    "work_months",
                    "integer",
                    required=True,
                    relevant="work_place",
                    help=("0–12 个月。", "0-12 months."),
                ),
                wire("member", "welfare_post", "checkbox"),
            ),
        ),
        SectionDef(
            key="support",
            title_zh="兜底保障",
            title_en="Safety net",
            fields=(
                wire("member", "dibao", "checkbox"),
                wire("member", "tekun", "checkbox"),
            ),
        ),
    ),
)

VISIT_FORM = FormDef(
    form_id="visit",
    version=2,
    entity="visit",
    title_zh="入户走访",
    title_en="Household visit",
    sections=(
        SectionDef(
            key="visit",
            title_zh="走访信息",
            title_en="Visit",
            fields=(
                wire("visit", "visit_type", "select", enum="visit_type", required=True),
                wire("visit", "visit_date", "date", required=True),
                wire("visit", "contact_mode", "select", enum="contact_mode", required=True),
                wire("visit", "started_at", "datetime"),
                wire("visit", "ended_at", "datetime"),
                wire(
                    "visit",
                    "gps",
                    "geopoint",
                    relevant="contact_mode == 'in_person'",
                    help=(
                        "走访开始时自动定位；无法定位也可保存。",
                        "Taken when the visit starts; the visit saves without a fix.",
                    ),
                ),
            ),
        ),
        SectionDef(
            key="members",
            title_zh="家庭成员",
            title_en="Members",
            subform="member",
            help_zh="逐一核对家庭成员信息；已迁出或已故的成员保留记录并修改状态。",
            help_en="Check each member; keep those who moved out or died and change their status.",
        ),
        SectionDef(
            key="income",
            title_zh="家庭收入",
            title_en="Income",
            help_zh="近 12 个月家庭收入，单位元。",
            help_en="Household income of the last 12 months, in yuan.",
            fields=(
                wire(
                    "visit",
                    "income.wage",
                    "money",
                    required=True,
                    help=(
                        "外出务工、公益岗位等工资收入。" + TWELVE_MONTHS[0],
                        "Migrant work, public-welfare posts and other wages. " + TWELVE_MONTHS[1],
                    ),
                ),
                wire(
                    "visit",
                    "income.operating",
                    "money",
                    required=True,
                    help=(
                        "种植、养殖、林果等生产经营收入。" + TWELVE_MONTHS[0],
                        "Crops, livestock, forestry and fruit, other business. " + TWELVE_MONTHS[1],
                    ),
                ),
                wire(
                    "visit",
                    "income.property",
                    "money",
                    required=True,
                    help=("分红、土地流转等。", "Dividends, land transfer rent."),
                ),
                wire(
                    "visit",
                    "income.transfer",
                    "money",
                    required=True,
                    help=(
                        "低保金、特困供养金、养老金、生态补偿、各类补贴。",
                        "Dibao, tekun support, pensions, ecological compensation, subsidies.",
                    ),
                ),
                wire(
                    "visit",
                    "income.costs",
                    "money",
                    required=True,
                    help=("生产经营中的种子、化肥、饲料等支出。", "Seeds, fertiliser, feed..."),
                ),
                computed(
                    "net_income",
                    "money",
                    ("家庭纯收入", "Net income"),
                    (
                        "工资性 + 经营性 + 财产性 + 转移性 − 生产经营性支出。",
                        "Wage + operating + property + transfer − costs.",
                    ),
                    YUAN,
                ),
                computed(
                    "per_capita_income",
                    "money",
                    ("人均纯收入", "Per-capita net income"),
                    ("纯收入除以在户成员人数。", "Net income divided by resident members."),
                    YUAN,
                ),
                wire(
                    "visit",
                    "income.insurance_payout",
                    "money",
                    help=("商业保险等理赔收入，不计入纯收入。", "Kept apart from net income."),
                ),
                wire(
                    "visit",
                    "income.medical_out_of_pocket",
                    "money",
                    help=(
                        "报销后个人负担的合规医疗费用，不计入纯收入。",
                        "Compliant medical costs left after reimbursement; kept apart.",
                    ),
                ),
            ),
        ),
        SectionDef(
            key="guarantees",
            title_zh="两不愁三保障",
            title_en="Two no-worries, three guarantees",
            fields=(
                wire("visit", "food_ok", "checkbox", required=True),
                wire("visit", "clothing_ok", "checkbox", required=True),
                computed(
                    "education_ok",
                    "checkbox",
                    ("义务教育有保障", "Compulsory education assured"),
                    (
                        "由成员信息判断：6–16 岁无非因病残辍学。",
                        "From the members: nobody aged 6-16 out of school except for health.",
                    ),
                ),
                computed(
                    "medical_ok",
                    "checkbox",
                    ("基本医疗有保障", "Basic medical care assured"),
                    (
                        "由成员信息判断：在户成员均参加且只参加一种基本医保。",
                        "From the members: every resident in exactly one basic scheme.",
                    ),
                ),
            ),
        ),
        SectionDef(
            key="water",
            title_zh="饮水安全",
            title_en="Drinking water",
            fields=(
                wire("visit", "water.source", "select", enum="water_source", required=True),
                wire(
                    "visit",
                    "water.quantity_lpd",
                    "number",
                    required=True,
                    help=("每人每天可用水量，不低于 20 升。", "At least 20 L per person per day."),
                ),
                wire("visit", "water.quality_ok", "checkbox", required=True),
                wire(
                    "visit",
                    "water.fetch_minutes",
                    "integer",
                    required=True,
                    relevant="water.source != 'tap'",
                    help=("往返取水时间不超过 20 分钟。", "A round trip of 20 minutes at most."),
                ),
                wire(
                    "visit",
                    "water.reliability_pct",
                    "number",
                    required=True,
                    help=("一般不低于 90%。", "Normally at least 90%."),
                ),
                wire(
                    "visit",
                    "water.interruption_days",
                    "integer",
                    help=(
                        "近一年断水天数，超过 30 天为问题。",
                        "Over 30 days in a year is a problem.",
                    ),
                ),
            ),
        ),
        SectionDef(
            key="housing",
            title_zh="住房安全",
            title_en="Housing safety",
            fields=(
                wire(
                    "household",
                    "house_grade",
                    "select",
                    enum="house_grade",
                    required=True,
                    help=("C、D 级为危房。", "Grades C and D are dangerous."),
                ),
                wire(
                    "household",
                    "house_damaged",
                    "checkbox",
                    help=("因灾害、倒塌等近期受损。", "Recently damaged by disaster or collapse."),
                ),
            ),
        ),
        SectionDef(
            key="risks",
            title_zh="返贫致贫风险",
            title_en="Risks",
            fields=(
                wire(
                    "visit",
                    "risks",
                    "multiselect",
                    enum="risk",
                    max_items=MAX_RISKS,
                    help=("最多选 5 项；无风险则不选。", "Up to 5; leave empty when none."),
                ),
                wire(
                    "visit",
                    "disaster_type",
                    "select",
                    enum="disaster_type",
                    required=True,
                    relevant="'disaster' in risks",
                ),
                wire("visit", "risk_notes", "textarea", relevant="risks"),
                computed(
                    "flags",
                    "flags",
                    ("自动预警", "Automatic alerts"),
                    (
                        "根据本次填报自动计算的风险与数据校验提示。",
                        "Risks and data checks computed from what was entered.",
                    ),
                ),
            ),
        ),
        SectionDef(
            key="assistance",
            title_zh="帮扶措施",
            title_en="Assistance",
            fields=(
                wire(
                    "visit",
                    "assistance",
                    "multiselect",
                    enum="assistance",
                    help=("一户一策，可多选。", "One plan per household; several allowed."),
                ),
                wire("visit", "assistance_notes", "textarea", relevant="assistance"),
            ),
        ),
        SectionDef(
            key="confirmation",
            title_zh="确认",
            title_en="Confirmation",
            fields=(
                evidence(
                    "house_photo",
                    "photo",
                    help=("拍摄住房外观。", "The house from outside."),
                    required_when=EVIDENCE_REQUIRED_WHEN,
                ),
                evidence(
                    "water_photo",
                    "photo",
                    help=("拍摄饮水点或水龙头。", "The water point or tap."),
                ),
                evidence(
                    "signature",
                    "signature",
                    help=(
                        "请农户在框内签名，并填写签字人及其与户主关系。",
                        "The household signs in the box; name the signer and the relation.",
                    ),
                    required_when=EVIDENCE_REQUIRED_WHEN,
                ),
                wire(
                    "visit",
                    "signed_by",
                    "text",
                    relevant="contact_mode == 'in_person'",
                    required_when=EVIDENCE_REQUIRED_WHEN,
                ),
                wire(
                    "visit",
                    "signer_relation",
                    "select",
                    enum="relation",
                    relevant="contact_mode == 'in_person'",
                ),
                wire(
                    "visit",
                    "confirmed",
                    "checkbox",
                    required=True,
                    help=("农户已核对并确认本次填报内容。", "The household checked this record."),
                ),
                wire("visit", "notes", "textarea"),
            ),
        ),
    ),
)

HOUSEHOLD_FORM = FormDef(
    form_id="household",
    version=1,
    entity="household",
    title_zh="农户信息",
    title_en="Household",
    sections=(
        SectionDef(
            key="identity",
            title_zh="基本信息",
            title_en="Identity",
            fields=(
                wire("household", "grid_id", "text", required=True),
                wire("household", "household_no", "text", required=True),
                wire("household", "head_name", "text", required=True),
                wire("household", "address", "textarea", required=True),
                wire("household", "phone", "phone"),
            ),
        ),
        SectionDef(
            key="classification",
            title_zh="户类型与监测",
            title_en="Type and monitoring",
            fields=(
                wire("household", "household_type", "select", enum="household_type", required=True),
                wire(
                    "household",
                    "monitor_category",
                    "select",
                    enum="monitor_category",
                    help=("非监测对象不选。", "Leave empty for a household not monitored."),
                ),
            ),
        ),
        SectionDef(
            key="housing",
            title_zh="住房",
            title_en="Housing",
            fields=(
                wire("household", "house_grade", "select", enum="house_grade", required=True),
                wire("household", "house_damaged", "checkbox"),
            ),
        ),
        SectionDef(
            key="notes",
            title_zh="备注",
            title_en="Notes",
            fields=(wire("household", "notes", "textarea"),),
        ),
    ),
)

FORMS: dict[str, FormDef] = {f.form_id: f for f in (VISIT_FORM, MEMBER_FORM, HOUSEHOLD_FORM)}
"""Every form by id."""


def form_field(entity: str, path: str) -> FieldDef | None:
    """The field storing `entity`'s `path` in the current forms (read live: a definition
    swapped in `FORMS` is what validation and the console use); None when no form has it."""
    for form in FORMS.values():
        for f in form.fields():
            if f.entity == entity and f.path == path:
                return f
    return None


def forms_to_dict() -> dict[str, dict[str, Any]]:
    """Every form as JSON-ready data, by id (what the server ships with the rules config)."""
    return {form_id: form_to_dict(form) for form_id, form in FORMS.items()}
