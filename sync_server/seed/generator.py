"""Generates a realistic demo county as plain wire-format records.

Deterministic for a given seed and `today`, so demos, tests and benchmarks see the same county.
The generator only makes data; `sync_server.seed.loader` writes it through the services so every
record gets versions and history like any pushed edit.

The county is fictional (清水县 青山镇, province code 52) but shaped like the real thing: villages
cut into grids of 40–60 households, poverty-lifted and ordinary households, a few monitored
households below or near the threshold, migrant workers, pupils, elderly members with chronic
illness, monthly visits for monitored households and quarterly visits for the rest.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from shared_schema.idnumber import make_id_number

TOWNSHIP = "青山镇"
PROVINCE = "52"
REGION_CODES = ("522732", "522731", "522729")  # one per village: county-level region code shape

VILLAGES: tuple[tuple[str, str], ...] = (("SM", "石门村"), ("YL", "杨柳村"), ("LT", "龙潭村"))
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳建国志文永春德富贵生"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲桂英兰萍红梅琴云莲珍凤秀花雪慧巧美娥翠"
GROUPS = ("一组", "二组")
ROADS = ("上寨", "下寨", "坪子", "湾里", "坡脚", "大田", "新寨", "老屋基")


@dataclass
class DemoUser:
    """A demo login; `grids` for workers, `township` for supervisors."""

    username: str
    password: str
    role: str
    display_name: str
    grids: list[str] = field(default_factory=list)
    township: str | None = None


@dataclass
class DemoGrid:
    id: str
    name: str
    village: str
    township: str
    worker: str


@dataclass
class DemoRecord:
    """One record to load: entity, id, wire data, and the day it was written."""

    entity: str
    id: str
    data: dict[str, Any]
    at: datetime


@dataclass
class DemoCounty:
    grids: list[DemoGrid]
    users: list[DemoUser]
    records: list[DemoRecord]

    def count(self, entity: str) -> int:
        return sum(1 for r in self.records if r.entity == entity)


DEMO_PASSWORD = "tianye2026"


def _uuid7(rng: random.Random, at: datetime) -> str:
    """A UUID version 7 whose time part is `at` and whose random part comes from `rng`."""
    ms = int(at.timestamp() * 1000) & ((1 << 48) - 1)
    rand = rng.getrandbits(74)
    value = (
        (ms << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62) | (rand & ((1 << 62) - 1))
    )
    return str(uuid.UUID(int=value))


def person_name(rng: random.Random, sex: str, surname: str | None = None) -> str:
    given = GIVEN_MALE if sex == "male" else GIVEN_FEMALE
    length = rng.choice((1, 2, 2))
    return (surname or rng.choice(SURNAMES)) + "".join(rng.choice(given) for _ in range(length))


def _birth(rng: random.Random, today: date, age: int) -> date:
    return today - timedelta(days=age * 365 + rng.randint(0, 364))


def _phone(rng: random.Random) -> str:
    return "1" + rng.choice("3578") + "".join(str(rng.randint(0, 9)) for _ in range(9))


class MemberFactory:
    def __init__(self, rng: random.Random, today: date, region: str) -> None:
        self.rng, self.today, self.region, self.seq = rng, today, region, 0

    def make(
        self, household_id: str, relation: str, sex: str, age: int, surname: str
    ) -> dict[str, Any]:
        rng = self.rng
        birth = _birth(rng, self.today, age)
        self.seq = (self.seq + 1) % 999
        member: dict[str, Any] = {
            "household_id": household_id,
            "name": person_name(rng, sex, surname if relation != "spouse" else None),
            "id_type": "resident_id",
            "id_number": make_id_number(self.region, birth, self.seq, sex),
            "relation": relation,
            "sex": sex,
            "birth_date": birth.isoformat(),
            "health": ["healthy"],
            "labor_ability": "ordinary",
            "medical_insurance": ["resident"],
            "status": "present",
            "welfare_post": False,
            "pension_insurance": age >= 16,
            "dibao": False,
            "tekun": False,
        }
        if age <= 18:
            stage = (
                "preschool"
                if age < 6
                else "primary"
                if age < 12
                else "junior"
                if age < 15
                else "senior"
            )
            member["school_stage"] = stage
            member["labor_ability"] = "none"
            if 6 <= age <= 16 and rng.random() < 0.1:
                # Out of school: a few for illness (allowed), a few dropouts the rules flag.
                del member["school_stage"]
                member["education"] = "primary" if age >= 12 else "illiterate"
                member["not_in_school_reason"] = rng.choice(("illness", "family", "weariness"))
        elif age <= 22 and rng.random() < 0.4:
            member["school_stage"] = rng.choice(("higher_vocational", "undergraduate"))
            member["labor_ability"] = "none"
        else:
            member["education"] = rng.choices(
                ("illiterate", "primary", "junior", "senior", "vocational", "college"),
                weights=(8 if age > 60 else 1, 30, 40, 12, 6, 3),
            )[0]
        if 18 <= age <= 55 and "school_stage" not in member and rng.random() < 0.55:
            member["work_place"] = rng.choice(("in_county", "in_province", "out_of_province"))
            member["work_months"] = rng.randint(3, 12)
            member["labor_ability"] = rng.choice(("ordinary", "ordinary", "skilled"))
        if age >= 60:
            member["labor_ability"] = rng.choice(("weak", "weak", "lost"))
            if rng.random() < 0.45:
                member["health"] = ["chronic"]
        if age >= 40 and rng.random() < 0.06:
            member["health"] = ["serious_illness"]
            member["labor_ability"] = "weak"
        if rng.random() < 0.04 and age >= 10:
            member["health"] = ["disabled"]
            member["disability_category"] = rng.choice(("physical", "visual", "hearing"))
            member["disability_grade"] = rng.randint(1, 4)
            member["labor_ability"] = "lost" if member["disability_grade"] <= 2 else "weak"
        return member


def _water(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.85:
        return {
            "source": "tap",
            "quantity_lpd": rng.choice((40, 50, 60, 80)),
            "quality_ok": True,
            "fetch_minutes": None,
            "reliability_pct": rng.choice((95, 98, 100)),
            "interruption_days": rng.choice((0, 0, 2, 5)),
        }
    return {
        "source": rng.choice(("well", "spring", "cistern")),
        "quantity_lpd": rng.choice((15, 25, 35)),
        "quality_ok": rng.random() < 0.8,
        "fetch_minutes": rng.choice((10, 15, 25, 40)),
        "reliability_pct": rng.choice((80, 90, 95)),
        "interruption_days": rng.choice((0, 10, 35)),
    }


def _money(value: float) -> float:
    return round(max(value, 0.0), 2)


def household_visits(
    rng: random.Random,
    household_id: str,
    members: list[dict[str, Any]],
    monitored: bool,
    today: date,
    worker_name: str,
    *,
    interval_days: int | None = None,
    span_days: int = 365,
) -> Iterator[DemoRecord]:
    """The household's visits over the `span_days` before `today`: monthly for monitored
    households, quarterly otherwise, or every `interval_days` (±5) when given."""
    residents = [m for m in members if m["status"] == "present"]
    workers = [m for m in residents if m.get("work_place")]
    base_per_capita = rng.uniform(5200, 9800) if monitored else rng.uniform(8500, 26000)
    interval = interval_days or (30 if monitored else 91)
    day = today - timedelta(days=span_days - rng.randint(0, interval - 1))
    drift = 1.0
    while day <= today:
        drift *= rng.uniform(0.93, 1.08)
        net = base_per_capita * drift * max(len(residents), 1)
        wage = net * (0.55 if workers else 0.1) * rng.uniform(0.8, 1.1)
        transfer = net * rng.uniform(0.08, 0.25)
        operating = net * rng.uniform(0.15, 0.35)
        prop = net * rng.uniform(0.0, 0.05)
        costs = max(wage + transfer + operating + prop - net, 0.0)
        ill = any(set(m["health"]) & {"chronic", "serious_illness"} for m in residents)
        risks: list[str] = []
        if monitored:
            if ill:
                risks.append("illness")
            if not workers:
                risks.append("lack_of_labor")
            if rng.random() < 0.2:
                risks.append("unstable_work" if workers else "accident")
        at = datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.randint(0, 59))
        age_days = (today - day).days
        status = "approved" if age_days > 40 else rng.choice(("submitted", "submitted", "approved"))
        comment = None
        if age_days <= 40 and rng.random() < 0.08:
            status, comment = (
                "returned",
                rng.choice(
                    (
                        "务工收入与上次相差较大，请核实外出务工月数。",
                        "医疗自付金额缺少票据说明，请补充。",
                        "饮水情况与村里供水台账不一致，请复核。",
                    )
                ),
            )
        visit: dict[str, Any] = {
            "household_id": household_id,
            "visit_date": day.isoformat(),
            "visit_type": "routine" if rng.random() < 0.85 else rng.choice(("sweep", "look_back")),
            "contact_mode": "in_person" if rng.random() < 0.9 else "phone",
            "started_at": at.isoformat(timespec="minutes"),
            "ended_at": (at + timedelta(minutes=rng.randint(15, 50))).isoformat(timespec="minutes"),
            "income": {
                "wage": _money(wage),
                "operating": _money(operating),
                "property": _money(prop),
                "transfer": _money(transfer),
                "costs": _money(costs),
                "insurance_payout": _money(rng.uniform(0, 3000)) if ill else 0.0,
                "medical_out_of_pocket": _money(rng.uniform(500, 9000)) if ill else 0.0,
            },
            "food_ok": True,
            "clothing_ok": True,
            "water": _water(rng),
            "risks": risks[:5],
            "assistance": (
                sorted(rng.sample(("industry", "employment", "health", "dibao", "welfare_post"), 2))
                if monitored
                else []
            ),
            "confirmed": True,
            "signed_by": residents[0]["name"] if residents else worker_name,
            "notes": "",
            "review_status": status,
            "review_comment": comment,
        }
        yield DemoRecord("visit", _uuid7(rng, at), visit, at)
        day += timedelta(days=interval + rng.randint(-5, 5))


def make_household(
    rng: random.Random,
    factory: MemberFactory,
    *,
    today: date,
    grid_id: str,
    household_no: str,
    address: str,
) -> tuple[DemoRecord, list[DemoRecord], bool]:
    """One household of `grid_id` and its members, created about 13 months before `today`.

    `address` is the part before the road (township, village, group); returns the household,
    its members and whether it is monitored (which sets its visits' pace and risks).
    """
    created = datetime(today.year - 1, today.month, 1, 9) - timedelta(days=rng.randint(0, 30))
    household_id = _uuid7(rng, created)
    surname = rng.choice(SURNAMES)
    head_sex = "male" if rng.random() < 0.8 else "female"
    head_age = rng.randint(28, 78)
    lifted = rng.random() < 0.45
    monitored = rng.random() < (0.22 if lifted else 0.08)
    members = [factory.make(household_id, "head", head_sex, head_age, surname)]
    if rng.random() < 0.85:
        spouse_sex = "female" if head_sex == "male" else "male"
        members.append(
            factory.make(
                household_id,
                "spouse",
                spouse_sex,
                max(20, head_age + rng.randint(-5, 3)),
                surname,
            )
        )
    for _ in range(rng.choice((0, 1, 2, 2, 3))):
        # at least 2: a member is written when the household is created, ~13 months ago
        child_age = max(2, head_age - rng.randint(22, 34))
        members.append(
            factory.make(
                household_id,
                "child",
                rng.choice(("male", "female")),
                child_age,
                surname,
            )
        )
    if head_age < 55 and rng.random() < 0.3:
        members.append(
            factory.make(
                household_id,
                "parent",
                rng.choice(("male", "female")),
                head_age + rng.randint(22, 30),
                surname,
            )
        )
    if len(members) > 2 and rng.random() < 0.05:
        members[-1]["status"] = "moved_out"
    if any(m["health"] != ["healthy"] for m in members) and monitored:
        members[0]["dibao"] = rng.random() < 0.4
    household = {
        "grid_id": grid_id,
        "household_no": household_no,
        "head_name": members[0]["name"],
        "address": "".join((address, rng.choice(ROADS), f"{rng.randint(1, 88)}号")),
        "phone": _phone(rng) if rng.random() < 0.9 else None,
        "household_type": "lifted" if lifted else "ordinary",
        "monitor_category": (
            rng.choice(("unstable_lifted", "marginal", "sudden_hardship")) if monitored else None
        ),
        "house_grade": rng.choices(("a", "b", "c", "d"), weights=(40, 55, 4, 1))[0],
        "house_damaged": rng.random() < 0.02,
        "notes": "",
    }
    if monitored and household["monitor_category"] == "unstable_lifted":
        household["household_type"] = "lifted"
    member_records = [DemoRecord("member", _uuid7(rng, created), m, created) for m in members]
    return DemoRecord("household", household_id, household, created), member_records, monitored


def generate_county(
    *,
    today: date,
    seed: int = 2026,
    households_per_grid: int = 50,
    villages: int = 3,
    grids_per_village: int = 2,
) -> DemoCounty:
    """The demo county: grids, users and records (households, members, 12 months of visits)."""
    rng = random.Random(seed)
    grids: list[DemoGrid] = []
    users: list[DemoUser] = [
        DemoUser("admin", DEMO_PASSWORD, "admin", "系统管理员"),
        DemoUser("zhangjun", DEMO_PASSWORD, "supervisor", "张军（青山镇）", township=TOWNSHIP),
    ]
    records: list[DemoRecord] = []
    worker_no = 0
    for v in range(villages):
        code, village = VILLAGES[v % len(VILLAGES)]
        if v >= len(VILLAGES):
            code, village = f"{code}{v}", f"{village}{v}"
        region = REGION_CODES[v % len(REGION_CODES)]
        for g in range(grids_per_village):
            worker_no += 1
            grid_id = f"{code}-{g + 1:02d}"
            sex = "female" if worker_no % 2 else "male"
            worker = DemoUser(
                f"worker{worker_no}",
                DEMO_PASSWORD,
                "worker",
                person_name(rng, sex),
                grids=[grid_id],
            )
            users.append(worker)
            grids.append(
                DemoGrid(grid_id, f"{village}{GROUPS[g % 2]}", village, TOWNSHIP, worker.username)
            )
            factory = MemberFactory(rng, today, region)
            for h in range(households_per_grid):
                household, members, monitored = make_household(
                    rng,
                    factory,
                    today=today,
                    grid_id=grid_id,
                    household_no=f"{region}{v + 1:02d}{g + 1:02d}{h + 1:04d}",
                    address=TOWNSHIP + village + GROUPS[g % 2],
                )
                records.append(household)
                records.extend(members)
                records.extend(
                    household_visits(
                        rng,
                        household.id,
                        [m.data for m in members],
                        monitored,
                        today,
                        worker.display_name,
                    )
                )
    records.sort(key=lambda r: (r.at, {"household": 0, "member": 1, "visit": 2}[r.entity]))
    return DemoCounty(grids=grids, users=users, records=records)
