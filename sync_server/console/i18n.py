"""The console's own strings in Simplified Chinese and English, and how a language is chosen.

Field labels, enumeration labels and rule messages come from `shared_schema` (one wording
everywhere); only console words live here. A test checks every key has both languages and
that every key a template uses exists. Language: `?lang=en|zh` sets a cookie; otherwise the
cookie; otherwise Chinese (the product's default, whatever the browser says).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LANGS: tuple[str, ...] = ("zh", "en")
DEFAULT_LANG = "zh"
LANG_COOKIE = "tianye_lang"

TEXTS: dict[str, tuple[str, str]] = {
    # chrome
    "app.name": ("田野 · 防返贫监测", "Tianye · Poverty-return monitoring"),
    "app.brand": ("田野 · 防返贫监测", "Tianye"),
    "hh.fields_recorded": ("新建，记录了 {n} 个字段", "Created with {n} fields"),
    "app.console": ("督导工作台", "Supervisor console"),
    "nav.dashboard": ("工作概览", "Dashboard"),
    "nav.queue": ("审核队列", "Review queue"),
    "nav.households": ("农户", "Households"),
    "nav.conflicts": ("冲突处理", "Conflicts"),
    "nav.cases": ("监测对象", "Monitoring cases"),
    "nav.devices": ("设备", "Devices"),
    "nav.exports": ("数据导出", "Exports"),
    "nav.admin": ("系统管理", "Administration"),
    "nav.logout": ("退出登录", "Sign out"),
    "nav.lang_switch": ("English", "中文"),
    "nav.skip": ("跳到正文", "Skip to content"),
    "role.worker": ("网格员", "Grid worker"),
    "role.supervisor": ("督导员", "Supervisor"),
    "role.admin": ("管理员", "Administrator"),
    "scope.all": ("全部乡镇", "All townships"),
    # sign in
    "login.title": ("登录督导工作台", "Sign in to the supervisor console"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.failed": ("用户名或密码错误", "Wrong username or password"),
    "login.bad_username": (
        "用户名无效：最多 64 个字符，且不能含控制字符",
        "Invalid username: at most 64 characters and no control characters",
    ),
    "login.worker_refused": (
        "网格员请使用手机应用，工作台仅供督导员和管理员使用",
        "Grid workers use the phone app; the console is for supervisors and administrators",
    ),
    "login.expired": ("登录已过期，请重新登录", "Your session has expired; please sign in again"),
    "login.logged_out": ("已退出登录", "You have signed out"),
    "login.required": ("请先登录", "Please sign in first"),
    "login.hint": (
        "田野 · 防止返贫动态监测与帮扶",
        "Tianye · preventing a return to poverty: monitoring and assistance",
    ),
    # errors
    "error.csrf": (
        "表单已失效（安全校验未通过），请刷新页面后重试",
        "The form has expired (security check failed); reload the page and try again",
    ),
    "error.forbidden": ("无权访问该页面或数据", "You may not see this page or record"),
    "error.not_found": ("未找到该页面或记录", "Page or record not found"),
    "error.bad_request": ("请求有误", "Bad request"),
    "error.title": ("出错了", "Something went wrong"),
    "error.back": ("返回工作概览", "Back to the dashboard"),
    # common
    "common.all": ("全部", "All"),
    "common.filter": ("筛选", "Filter"),
    "common.reset": ("清除筛选", "Clear filters"),
    "common.save": ("保存", "Save"),
    "common.cancel": ("取消", "Cancel"),
    "common.submit": ("提交", "Submit"),
    "common.yes": ("是", "Yes"),
    "common.no": ("否", "No"),
    "common.none": ("无", "None"),
    "common.empty": ("暂无数据", "Nothing here"),
    "common.grid": ("网格", "Grid"),
    "common.village": ("村", "Village"),
    "common.township": ("乡镇", "Township"),
    "common.date_from": ("起始日期", "From"),
    "common.date_to": ("截止日期", "To"),
    "common.total": ("合计", "Total"),
    "common.view": ("查看", "Open"),
    "common.author": ("操作人", "By"),
    "common.when": ("时间", "When"),
    "common.device": ("设备", "Device"),
    "common.mutation": ("修改编号", "Mutation"),
    "common.version": ("版本", "Version"),
    "common.reason": ("理由", "Reason"),
    "common.status": ("状态", "Status"),
    "common.yuan": ("元", "yuan"),
    "common.page_prev": ("上一页", "Previous"),
    "common.page_next": ("下一页", "Next"),
    "common.page_of": ("第 {page} 页", "Page {page}"),
    "common.saved": ("已保存", "Saved"),
    "common.console_edit": ("工作台或服务器", "Console or server"),
    "dash.grid_count": ("{n} 个网格", "{n} grids"),
    "severity.high": ("高", "High"),
    "severity.medium": ("中", "Medium"),
    "severity.low": ("低", "Low"),
    # dashboard
    "dash.title": ("工作概览", "Dashboard"),
    "dash.households": ("农户数", "Households"),
    "dash.visits_month": ("本月走访", "Visits this month"),
    "dash.overdue": ("逾期未走访", "Overdue for a visit"),
    "dash.awaiting": ("待审核走访", "Visits awaiting review"),
    "dash.conflicts": ("未处理冲突", "Open conflicts"),
    "dash.flags": ("风险预警", "Risk flags"),
    "dash.per_grid": ("各网格情况", "By grid"),
    "dash.flags_by_type": ("风险预警分类（按最新一次走访）", "Risk flags by type (latest visit)"),
    "dash.chart_title": ("近 12 个月走访与风险预警", "Visits and risk flags, last 12 months"),
    "dash.chart_visits": ("走访次数", "Visits"),
    "dash.chart_flags": ("风险预警", "Risk flags"),
    "dash.open_cases": ("在办监测对象", "Open monitoring cases"),
    "dash.overdue_cases": ("超期案件", "Overdue cases"),
    "dash.worker": ("网格员", "Worker"),
    "dash.unassigned": ("未分配", "Unassigned"),
    # review queue
    "queue.title": ("走访审核", "Visit review"),
    "queue.flag": ("风险预警", "Flag"),
    "queue.flags": ("预警", "Flags"),
    "queue.head": ("户主", "Head"),
    "queue.clean": ("无预警", "No flags"),
    "queue.bulk_approve": ("批量通过所选（仅无预警）", "Approve selected (flag-free only)"),
    "queue.bulk_done": ("已批量通过 {count} 条走访记录", "Approved {count} visits"),
    "queue.bulk_skipped": (
        "{count} 条有风险预警或已审核，未批量通过",
        "{count} were skipped (flagged or already reviewed)",
    ),
    "queue.select_all_clean": ("选择全部无预警记录", "Select every flag-free visit"),
    "queue.nothing_selected": ("未选择任何记录", "Nothing was selected"),
    "visit.title": ("走访记录", "Visit"),
    "visit.flags": ("本次走访的风险预警", "Flags on this visit"),
    "visit.no_flags": ("本次走访未触发风险预警", "This visit raises no flag"),
    "visit.approve": ("审核通过", "Approve"),
    "visit.return": ("退回修改", "Return for changes"),
    "visit.reject": ("驳回", "Reject"),
    "visit.comment": ("审核意见", "Comment"),
    "visit.comment_hint": (
        "退回时必填，网格员下次同步时会在手机上看到",
        "Required to return; the worker sees it on the phone after the next sync",
    ),
    "visit.reviewed": ("审核结果已保存", "Review saved"),
    "visit.comment_required": (
        "退回或驳回时请填写审核意见",
        "A comment is required to return or reject",
    ),
    "visit.computed": ("计算值", "Computed"),
    "visit.net_income": ("家庭纯收入", "Net income"),
    "visit.per_capita": ("人均纯收入", "Per-capita income"),
    "visit.threshold": ("监测标准", "Monitoring threshold"),
    "visit.back_to_queue": ("返回审核队列", "Back to the review queue"),
    "visit.household": ("农户档案", "Household record"),
    # households
    "hh.title": ("农户档案", "Household record"),
    "hh.new": ("新建农户", "New household"),
    "hh.edit": ("编辑农户信息", "Edit household"),
    "hh.save": ("保存", "Save"),
    "hh.cancel": ("取消", "Cancel"),
    "hh.saved": ("已保存。", "Saved."),
    "hh.register": ("户籍登记", "Register"),
    "hh.field_new_note": (
        "该户由网格员在实地新登记，待审核确认（可先修改正式户编号）。",
        "Registered in the field; awaiting a supervisor's confirmation"
        " (set the official number first if needed).",
    ),
    "hh.confirm": ("确认登记", "Confirm registration"),
    "hh.confirmed": ("已确认该户登记。", "Registration confirmed."),
    "hh.mark": ("更改在册状态", "Change register status"),
    "hh.move_member": ("移至", "Move to"),
    "hh.as_head": ("设为户主", "as head"),
    "hh.member_moved": ("成员已移户。", "Member moved."),
    "hh.split_note": (
        "分户：先新建农户，再把成员移过去，并指定新户主。",
        "To split: create the new household, then move members to it and choose its head.",
    ),
    "hh.list_title": ("农户", "Households"),
    "hh.search": ("户主姓名或户编号", "Head's name or household number"),
    "hh.members": ("家庭成员", "Members"),
    "hh.timeline": ("走访记录", "Visits"),
    "hh.flags": ("当前风险预警（最新一次走访）", "Current flags (latest visit)"),
    "hh.history": ("修改历史", "Version history"),
    "hh.history_of": ("{entity}的修改历史", "History of the {entity}"),
    "hh.changed": ("修改的字段", "Changed fields"),
    "hh.before": ("修改前", "Before"),
    "hh.after": ("修改后", "After"),
    "hh.created": ("新建", "Created"),
    "hh.deleted": ("已删除", "Deleted"),
    "hh.restamp": ("重新编号（数据未变）", "Re-stamped (data unchanged)"),
    "hh.open_case": ("建立监测案件", "Open a monitoring case"),
    "hh.cases": ("监测案件", "Monitoring cases"),
    "hh.last_visit": ("最近走访", "Last visit"),
    "hh.next_due": ("下次应走访", "Next visit due"),
    "hh.age": ("年龄", "Age"),
    "hh.overdue": ("逾期", "Overdue"),
    # conflicts
    "cf.title": ("冲突处理", "Conflicts"),
    "cf.field": ("字段", "Field"),
    "cf.record": ("记录", "Record"),
    "cf.base": ("原值（双方修改前）", "Base (before both edits)"),
    "cf.server": ("服务器现值", "Server value"),
    "cf.client": ("手机提交值", "Client value"),
    "cf.server_by": ("服务器值来自", "Server value by"),
    "cf.client_by": ("提交人", "Submitted by"),
    "cf.keep_server": ("保留服务器值", "Keep server value"),
    "cf.take_client": ("采用手机值", "Take client value"),
    "cf.custom": ("填写新值", "Type a value"),
    "cf.custom_hint": (
        '此字段无专用输入，请填 JSON，例如 "13800000000"、12.5、true、null',
        'This field has no dedicated input: type JSON, e.g. "13800000000", 12.5, true, null',
    ),
    "cf.custom_submit": ("采用填写的值", "Use this value"),
    "cf.resolved": ("冲突已处理，新版本已生成", "Conflict resolved; a new version was written"),
    "cf.bad_json": ("填写的值不是合法的 JSON", "The value is not valid JSON"),
    "cf.none_open": ("没有待处理的冲突", "No open conflict"),
    "cf.none_resolved": ("还没有已处理的冲突", "No conflict has been resolved yet"),
    "cf.status_open": ("待处理", "Open"),
    "cf.status_resolved": ("已处理", "Resolved"),
    "cf.resolved_line": (
        "{who} 于 {at} 处理，采用：{value}",
        "resolved by {who} on {at}, keeping: {value}",
    ),
    "cf.deleted_field": ("删除记录", "Delete the record"),
    "cf.story_household_deleted": (
        "农户“{household}”已于 {deleted_at} 被 {deleter}（{deleter_device}）删除；"
        "{author}（{author_device}）不知情，于 {at} 提交了这条{record}。"
        "该{record}暂随农户一并删除，提交的内容见右侧，未丢失。",
        "Household “{household}” was deleted by {deleter} ({deleter_device}) at {deleted_at};"
        " not knowing it, {author} ({author_device}) submitted this {record} at {at}."
        " The {record} is deleted with its household for now; what was submitted is shown"
        " on the right and is kept.",
    ),
    "cf.story_edit_deleted": (
        "此记录已被删除，但 {author}（{author_device}）之后又修改了它；修改内容见右侧，未丢失。",
        "This record was deleted, but {author} ({author_device}) edited it afterwards;"
        " the edit is shown on the right and is kept.",
    ),
    "cf.story_delete_edited": (
        "{author}（{author_device}）删除了此记录，但它已被他人修改；记录暂时保留。",
        "{author} ({author_device}) deleted this record, but it had been edited by someone"
        " else; the record is kept for now.",
    ),
    "cf.not_deleted": ("未删除", "Not deleted"),
    "cf.household_deleted": ("农户已被删除", "Household deleted"),
    "cf.submitted": ("手机提交的内容", "Submitted from the phone"),
    "cf.keep_delete": ("保持删除", "Keep the delete"),
    "cf.restore": ("恢复记录（采用手机修改）", "Restore it (take the phone's edit)"),
    "cf.restore_household": (
        "恢复该农户及此记录",
        "Restore the household and this record",
    ),
    "cf.keep_record": ("保留记录", "Keep the record"),
    "cf.delete_record": ("删除记录", "Delete the record"),
    # cases
    "case.title": ("监测对象认定与帮扶", "Monitoring cases"),
    "case.count": ("{n} 个案件", "{n} cases"),
    "case.one": ("监测案件", "Monitoring case"),
    "case.open": ("建立监测案件", "Open a monitoring case"),
    "case.source": ("线索来源", "Lead source"),
    "case.state": ("当前环节", "Stage"),
    "case.opened_on": ("线索日期", "Lead date"),
    "case.working_days": ("已用工作日", "Working days used"),
    "case.overdue": ("超期", "Overdue"),
    "case.overdue_hint": (
        "认定程序超过 20 个工作日仍未完成",
        "Identification still unfinished after 20 working days",
    ),
    "case.history": ("办理记录", "Steps taken"),
    "case.action": ("办理", "Action"),
    "case.do": ("执行", "Apply"),
    "case.mode": ("消除方式", "How eliminated"),
    "case.measures": ("帮扶措施", "Assistance measures"),
    "case.add_measure": ("登记帮扶措施", "Record a measure"),
    "case.measure_added": ("已登记帮扶措施", "Measure recorded"),
    "case.moved": ("已办理：{action}", "Done: {action}"),
    "case.opened": ("监测案件已建立", "Monitoring case opened"),
    "case.already_open": ("该户已有在办的监测案件", "The household already has an open case"),
    "case.notice_started": ("公示开始", "Notice posted"),
    "case.monitoring_started": ("监测开始", "Monitoring since"),
    "case.refused": ("未能办理", "Refused"),
    "case.elimination_check": ("风险消除条件", "Elimination conditions"),
    "case.elimination_ok": ("满足风险消除条件", "Elimination conditions met"),
    "case.filter_overdue": ("仅显示超期", "Overdue only"),
    "case.closed": ("已办结", "Closed"),
    "case.none_actions": ("当前环节无可办理事项", "Nothing to do at this stage"),
    # devices
    "dev.title": ("设备与同步", "Devices and sync"),
    "dev.user": ("用户", "User"),
    "dev.name": ("设备名称", "Device name"),
    "dev.last_sync": ("最近同步", "Last sync"),
    "dev.lag": ("待拉取版本数", "Cursor lag"),
    "dev.pending": ("待上传修改", "Pending mutations"),
    "dev.skew": ("时钟偏差", "Clock skew"),
    "dev.revoke": ("吊销", "Revoke"),
    "dev.revoked": ("已吊销", "Revoked"),
    "dev.active": ("正常", "Active"),
    "dev.signed_out": ("未登录", "Signed out"),
    "dev.revoke_done": ("已吊销该设备的登录凭证", "The device's tokens were revoked"),
    "dev.never": ("从未", "Never"),
    "dev.seconds": ("{n} 秒", "{n} s"),
    # exports
    "exp.title": ("数据导出", "Exports"),
    "exp.intro": (
        "按网格和日期筛选后导出，表头使用当前语言；大表边生成边下载。",
        "Filter by grid and date; headers follow the chosen language; large tables stream.",
    ),
    "exp.households": ("农户表", "Households"),
    "exp.members": ("家庭成员表", "Members"),
    "exp.visits": ("走访记录表", "Visits"),
    "exp.flags": ("风险预警表", "Risk flags"),
    "exp.cases": ("监测案件表", "Monitoring cases"),
    "exp.csv": ("CSV", "CSV"),
    "exp.xlsx": ("Excel", "Excel"),
    "exp.col.id": ("编号", "ID"),
    "exp.col.household_id": ("农户编号（系统）", "Household ID"),
    "exp.col.version": ("版本", "Version"),
    "exp.col.flag_code": ("预警代码", "Flag code"),
    "exp.col.severity": ("严重程度", "Severity"),
    "exp.col.message": ("预警说明", "Message"),
    "exp.col.visit_id": ("走访编号（系统）", "Visit ID"),
    "exp.col.grid_name": ("网格名称", "Grid name"),
    "exp.col.village": ("村", "Village"),
    "exp.col.updated_at": ("最后修改时间", "Last changed"),
    # admin
    "adm.title": ("系统管理", "Administration"),
    "adm.users": ("用户", "Users"),
    "adm.grids": ("网格", "Grids"),
    "adm.assignments": ("网格分配", "Grid assignments"),
    "adm.thresholds": ("监测标准与规则参数", "Thresholds and rule settings"),
    "adm.username": ("用户名", "Username"),
    "adm.display_name": ("姓名", "Display name"),
    "adm.role": ("角色", "Role"),
    "adm.password": ("初始密码", "Initial password"),
    "adm.grid_id": ("网格编码", "Grid code"),
    "adm.grid_name": ("网格名称", "Grid name"),
    "adm.worker": ("网格员", "Worker"),
    "adm.reassign": ("改派", "Reassign"),
    "adm.create_user": ("新建用户", "Create user"),
    "adm.create_grid": ("新建网格", "Create grid"),
    "adm.created": ("已创建", "Created"),
    "adm.reassigned": ("网格已改派", "Grid reassigned"),
    "adm.province": ("省份代码", "Province code"),
    "adm.year": ("年度", "Year"),
    "adm.threshold": ("监测标准（元/人/年）", "Monitoring threshold (yuan per person per year)"),
    "adm.config_json": ("规则参数（JSON）", "Rule settings (JSON)"),
    "adm.config_saved": ("规则参数已保存", "Rule settings saved"),
    "adm.config_invalid": ("规则参数有误：{detail}", "Invalid rule settings: {detail}"),
    "adm.grids_of": ("负责网格", "Grids"),
    "adm.admins_only": ("仅管理员可访问", "Administrators only"),
    "adm.calendar": ("工作日历", "Working calendar"),
    "adm.cal_help": (
        "监测对象识别程序须在 20 个工作日内完成。请按国务院办公厅每年发布的放假安排填写法定节假日"
        "和周末调休上班日；未填写时按周一至周五计算。",
        "Identification of a monitoring case must finish within 20 working days. Enter the "
        "public holidays and the weekend make-up working days from the State Council's yearly "
        "notice; with none entered, Monday to Friday count.",
    ),
    "adm.cal_holidays": ("法定节假日（放假日期）", "Public holidays (days off)"),
    "adm.cal_workdays": ("调休上班日（周末上班）", "Make-up working days (weekends worked)"),
    "adm.cal_holidays_help": (
        "每行或以逗号分隔一个日期，如 2026-10-01；连续日期可写作 2026-10-01..2026-10-07。",
        "One date per line or comma-separated, e.g. 2026-10-01; a run as 2026-10-01..2026-10-07.",
    ),
    "adm.cal_workdays_help": (
        "只能是星期六或星期日，且不能同时是节假日。",
        "Saturdays or Sundays only, and never also a holiday.",
    ),
    "adm.cal_saved": (
        "工作日历已保存：节假日 {holidays} 天，调休上班日 {workdays} 天",
        "Working calendar saved: {holidays} holidays, {workdays} make-up working days",
    ),
    "adm.cal_invalid": ("工作日历未保存，请改正标出的日期", "Not saved: correct the dates shown"),
    "adm.cal_bad_dates": (
        "无法识别的日期：{dates}（格式 2026-10-01，区间不超过 31 天）",
        "Not a date: {dates} (format 2026-10-01, runs of at most 31 days)",
    ),
    "adm.cal_both": (
        "既是节假日又是调休上班日：{dates}",
        "Both a holiday and a make-up working day: {dates}",
    ),
    "adm.cal_weekday": (
        "调休上班日必须是周末：{dates}",
        "A make-up working day must be a weekend day: {dates}",
    ),
    # risk-flag names (rule codes of shared_schema.rules.RULES)
    "flag.INCOME_LOW": ("收入低于监测标准", "Income below the threshold"),
    "flag.INCOME_NEAR": ("收入接近监测标准", "Income near the threshold"),
    "flag.INCOME_DROP": ("收入大幅下降", "Income dropped sharply"),
    "flag.RIGID_MEDICAL": ("刚性医疗支出大", "Heavy out-of-pocket medical costs"),
    "flag.EDU_DROPOUT": ("义务教育阶段辍学", "Dropout from compulsory education"),
    "flag.MED_UNINSURED": ("未参加基本医疗保险", "No basic medical insurance"),
    "flag.MED_DOUBLE": ("重复参加医疗保险", "Enrolled in both medical insurances"),
    "flag.HOUSING_UNSAFE": ("住房不安全", "Unsafe housing"),
    "flag.WATER_UNSAFE": ("饮水不安全", "Unsafe drinking water"),
    "flag.NO_LABOR_HOUSEHOLD": ("无劳动力家庭", "Household without labour"),
    "flag.CHK_ILLNESS_NO_ILL_MEMBER": ("因病风险但无患病成员", "Illness risk with no ill member"),
    "flag.CHK_WORK_NO_WORKER": ("务工风险但无劳动力", "Work risk with no worker"),
    "flag.CHK_DIBAO_NO_TRANSFER": (
        "低保户转移性收入为零",
        "Dibao recipient with no transfer income",
    ),
    "flag.CHK_DISASTER_NO_SUBTYPE": ("自然灾害风险未填类型", "Disaster risk without its type"),
    "flag.CHK_WAGE_SUSPICIOUS": ("工资性收入异常偏低", "Suspiciously low wage income"),
    "flag.CHK_HEALTHY_ADULT_NO_LABOR": (
        "健康劳动年龄人口无劳动力",
        "Healthy adult marked without labour",
    ),
    "flag.MEMBERS_HEAD": ("户主或配偶登记有误", "Head or spouse recorded wrongly"),
    "login.rate_limited": (
        "登录失败次数过多，请稍后再试",
        "Too many failed sign-ins; try again later",
    ),
}


def check_lang(lang: str | None) -> str:
    """A supported language, or the default for anything else."""
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str = DEFAULT_LANG, **params: Any) -> str:
    """The text of `key` in `lang`, with `{name}` parameters filled; KeyError if unknown."""
    zh, en = TEXTS[key]
    text = en if lang == "en" else zh
    return text.format(**params) if params else text


def choose_lang(query: str | None, cookie: str | None) -> str:
    """The request's language: an explicit `?lang=`, else the cookie, else Chinese."""
    if query in LANGS:
        return query
    if cookie in LANGS:
        return cookie
    return DEFAULT_LANG


def pair(labels: Mapping[str, tuple[str, str]], code: str, lang: str) -> str:
    """The label of `code` from a (zh, en) table, or the code itself when it has none."""
    entry = labels.get(code)
    if entry is None:
        return code
    return entry[1] if lang == "en" else entry[0]
