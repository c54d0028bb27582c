"""Chinese and English labels for every field of every record, and units where they exist.

Nested fields are keyed by dotted path (`income.wage`), exactly the leaf paths of
`shared_schema.sync.paths`; an object field also has a label of its own (`income`).
A guard test checks that every schema field and nested leaf is labelled here.
"""

from __future__ import annotations

from shared_schema.enums import check_lang

ENTITY_LABELS: dict[str, tuple[str, str]] = {
    "household": ("农户", "Household"),
    "member": ("家庭成员", "Member"),
    "visit": ("走访记录", "Visit"),
}

FIELD_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "household": {
        "grid_id": ("所属网格", "Grid"),
        "household_no": ("户编号", "Household number"),
        "head_name": ("户主姓名", "Name of the head"),
        "address": ("家庭住址", "Address"),
        "phone": ("联系电话", "Phone"),
        "household_type": ("户类型", "Household type"),
        "monitor_category": ("监测对象类别", "Monitoring category"),
        "house_grade": ("住房安全等级", "House safety grade"),
        "house_damaged": ("住房近期受损", "House recently damaged"),
        "notes": ("备注", "Notes"),
        "status": ("在册状态", "Register status"),
        "merged_into": ("并入农户", "Merged into"),
        "registration": ("登记确认", "Registration"),
    },
    "member": {
        "household_id": ("所属农户", "Household"),
        "name": ("姓名", "Name"),
        "id_type": ("证件类型", "ID type"),
        "id_number": ("证件号码", "ID number"),
        "relation": ("与户主关系", "Relation to the head"),
        "sex": ("性别", "Sex"),
        "birth_date": ("出生日期", "Date of birth"),
        "education": ("文化程度", "Education level"),
        "school_stage": ("在校阶段", "School stage"),
        "not_in_school_reason": ("未在校原因", "Reason for not being at school"),
        "health": ("健康状况", "Health"),
        "disability_category": ("残疾类别", "Disability category"),
        "disability_grade": ("残疾等级", "Disability grade"),
        "labor_ability": ("劳动技能", "Labour ability"),
        "work_place": ("务工区域", "Place of work"),
        "work_months": ("务工时间", "Months of migrant work"),
        "welfare_post": ("公益岗位", "Public-welfare post"),
        "medical_insurance": ("基本医疗保险", "Basic medical insurance"),
        "pension_insurance": ("基本养老保险", "Basic pension insurance"),
        "dibao": ("低保对象", "Dibao recipient"),
        "tekun": ("特困供养对象", "Tekun recipient"),
        "status": ("成员状态", "Member status"),
        "phone": ("联系电话", "Phone"),
    },
    "visit": {
        "household_id": ("所属农户", "Household"),
        "visit_date": ("走访日期", "Visit date"),
        "visit_type": ("走访类型", "Visit type"),
        "contact_mode": ("走访方式", "Contact mode"),
        "started_at": ("开始时间", "Started at"),
        "ended_at": ("结束时间", "Ended at"),
        "gps": ("定位", "GPS position"),
        "gps.lat": ("纬度", "Latitude"),
        "gps.lon": ("经度", "Longitude"),
        "gps.accuracy_m": ("定位精度", "GPS accuracy"),
        "gps.fixed_at": ("定位时间", "GPS fix time"),
        "income": ("家庭收入（近 12 个月）", "Income (last 12 months)"),
        "income.wage": ("工资性收入", "Wage income"),
        "income.operating": ("生产经营性收入", "Operating income"),
        "income.property": ("财产性收入", "Property income"),
        "income.transfer": ("转移性收入", "Transfer income"),
        "income.costs": ("生产经营性支出", "Operating costs"),
        "income.insurance_payout": ("理赔收入", "Insurance payouts"),
        "income.medical_out_of_pocket": ("合规自付医疗费用", "Out-of-pocket medical costs"),
        "food_ok": ("不愁吃", "Enough food"),
        "clothing_ok": ("不愁穿", "Enough clothing"),
        "water": ("饮水安全", "Drinking water"),
        "water.source": ("水源类型", "Water source"),
        "water.quantity_lpd": ("人均日供水量", "Water quantity"),
        "water.quality_ok": ("水质达标", "Water quality acceptable"),
        "water.fetch_minutes": ("取水往返时间", "Fetching time (round trip)"),
        "water.reliability_pct": ("供水保证率", "Supply reliability"),
        "water.interruption_days": ("断水天数", "Days without supply"),
        "risks": ("返贫致贫风险", "Risks"),
        "disaster_type": ("自然灾害类型", "Disaster type"),
        "risk_notes": ("风险说明", "Risk notes"),
        "assistance": ("帮扶措施", "Assistance measures"),
        "assistance_notes": ("帮扶措施说明", "Assistance notes"),
        "photos": ("照片", "Photos"),
        "signed_by": ("签字确认人", "Signed by"),
        "signer_relation": ("签字人与户主关系", "Signer's relation to the head"),
        "attachments": ("附件（照片、签名）", "Attachments (photos, signature)"),
        "attachments.sha256": ("文件指纹", "File hash (SHA-256)"),
        "attachments.kind": ("附件类别", "Attachment kind"),
        "attachments.mime": ("文件格式", "File format"),
        "attachments.size": ("文件大小", "File size"),
        "attachments.width": ("图像宽度", "Image width"),
        "attachments.height": ("图像高度", "Image height"),
        "attachments.taken_at": ("拍摄时间", "Taken at"),
        "confirmed": ("农户已确认", "Confirmed by the household"),
        "notes": ("备注", "Notes"),
        "review_status": ("审核状态", "Review status"),
        "review_comment": ("审核意见", "Review comment"),
        "form_version": ("表单配置版本", "Form configuration version"),
    },
}

FIELD_UNITS: dict[str, dict[str, tuple[str, str]]] = {
    "member": {
        "work_months": ("月", "months"),
        "disability_grade": ("级", "grade"),
    },
    "visit": {
        "gps.lat": ("度", "°"),
        "gps.lon": ("度", "°"),
        "gps.accuracy_m": ("米", "m"),
        "attachments.size": ("字节", "bytes"),
        "attachments.width": ("像素", "px"),
        "attachments.height": ("像素", "px"),
        "income.wage": ("元", "yuan"),
        "income.operating": ("元", "yuan"),
        "income.property": ("元", "yuan"),
        "income.transfer": ("元", "yuan"),
        "income.costs": ("元", "yuan"),
        "income.insurance_payout": ("元", "yuan"),
        "income.medical_out_of_pocket": ("元", "yuan"),
        "water.quantity_lpd": ("升/人/天", "L/person/day"),
        "water.fetch_minutes": ("分钟", "min"),
        "water.reliability_pct": ("%", "%"),
        "water.interruption_days": ("天", "days"),
    },
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if check_lang(lang) == "zh" else pair[1]


def field_label(entity: str, path: str, lang: str = "zh") -> str:
    """The label of a field by entity and dotted path; KeyError when it has none."""
    return _pick(FIELD_LABELS[entity][path], lang)


def field_unit(entity: str, path: str, lang: str = "zh") -> str | None:
    """The unit of a field (元, 升/人/天, ...), or None for a field without a unit."""
    pair = FIELD_UNITS.get(entity, {}).get(path)
    return None if pair is None else _pick(pair, lang)


def entity_label(entity: str, lang: str = "zh") -> str:
    """The label of a record type (农户, 家庭成员, 走访记录)."""
    return _pick(ENTITY_LABELS[entity], lang)
