"""The app's own user-visible strings in Simplified Chinese (default) and English.

Every entry is a `(zh, en)` pair, so a string cannot exist in one language only; a test checks
that both are non-empty and that every key the screens use exists. Field and enumeration labels
come from `shared_schema` (one truth for app, server and console); these are the app's chrome.
Formatting uses `str.format` placeholders, identical in both languages.
"""

from __future__ import annotations

from typing import Any

LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

STRINGS: dict[str, tuple[str, str]] = {
    "app.title": ("田野 · 防返贫监测", "Tianye · Poverty monitoring"),
    "common.back": ("返回", "Back"),
    "common.save": ("保存", "Save"),
    "common.cancel": ("取消", "Cancel"),
    "common.yes": ("是", "Yes"),
    "common.no": ("否", "No"),
    "common.none": ("无", "None"),
    "common.unknown": ("未填写", "Not recorded"),
    "common.choose": ("请选择", "Choose"),
    "common.edit": ("编辑", "Edit"),
    "common.ok": ("知道了", "OK"),
    "common.never": ("从未", "Never"),
    "common.date_hint": ("年-月-日，如 2024-05-01", "YYYY-MM-DD, e.g. 2024-05-01"),
    "date.pick": ("选择日期", "Pick a date"),
    "date.open": ("日历", "Calendar"),
    "date.today": ("今天", "Today"),
    "date.weekdays": ("一,二,三,四,五,六,日", "Mo,Tu,We,Th,Fr,Sa,Su"),
    # sign in
    "signin.server_url": ("服务器地址", "Server address"),
    "signin.username": ("用户名", "Username"),
    "signin.password": ("密码", "Password"),
    "signin.pin": ("本机 PIN 码", "Device PIN"),
    "signin.new_pin": (
        "设置本机 PIN 码（4–8 位数字，离线登录用）",
        "Set a device PIN (4–8 digits, for offline sign-in)",
    ),
    "signin.submit": ("联网登录", "Sign in online"),
    "signin.open_offline": ("离线进入", "Open offline"),
    "signin.welcome_back": ("欢迎回来，{name}", "Welcome back, {name}"),
    "signin.first_time": ("首次使用请联网登录", "First use: sign in online"),
    "signin.busy": ("正在登录…", "Signing in…"),
    "signin.err_required": ("请填写{field}", "Please fill in {field}"),
    "signin.err_url": (
        "服务器地址应以 http:// 或 https:// 开头",
        "The server address must start with http:// or https://",
    ),
    "signin.err_pin_format": ("PIN 码应为 4–8 位数字", "The PIN must be 4–8 digits"),
    "signin.err_pin_wrong": ("PIN 码不正确", "Wrong PIN"),
    "signin.err_credentials": ("用户名或密码错误", "Wrong username or password"),
    "signin.err_network": (
        "连不上服务器，请检查网络和地址",
        "Cannot reach the server; check the network and address",
    ),
    "signin.err_other_user": (
        "本机还有 {user} 的 {n} 条修改未同步，请先用该账号登录并同步",
        "Changes of {user} not synced on this phone: {n}. Sign in as {user} and sync first",
    ),
    "signin.err_server": ("服务器出错，请稍后再试", "The server had a problem; try again later"),
    "signin.err_password_wrong": ("密码不正确", "Wrong password"),
    "signin.err_offline_secret": (
        "请输入本机 PIN 码（未设置 PIN 码时输入密码）",
        "Enter your device PIN (or your password if no PIN is set)",
    ),
    "signin.err_other_user_unknown": (
        "本机存有 {user} 的数据，可能有未同步的修改：请 {user} 先登录、同步并退出登录",
        "This phone holds the data of {user}, possibly with unsynced changes:"
        " {user} must sign in, sync and sign out first",
    ),
    "signin.err_store_password": (
        "本机数据是用旧密码加密的，请同时输入本机 PIN 码",
        "This phone's data is locked with your previous password; enter your device PIN too",
    ),
    "signin.err_store_open": (
        "无法打开本机数据：{reason}",
        "Cannot open the data on this phone: {reason}",
    ),
    "signin.err_no_cipher": (
        "本机缺少数据加密组件（SQLCipher）。为保护住户个人信息，应用不能打开数据，请安装正式版本",
        "The data encryption component (SQLCipher) is missing. To protect households'"
        " personal data the app will not open it; install the official build",
    ),
    "signin.locked_note": (
        "本机数据已加密保存，输入 PIN 码解锁",
        "The data on this phone is encrypted; enter your PIN to unlock it",
    ),
    "signin.tries_left": (
        "PIN 码还可尝试 {n} 次\n用完后须联网用密码登录",  # Kivy wraps only at spaces
        "{n} PIN tries left; after that you must sign in online with your password",
    ),
    "signin.locked_out": (
        "PIN 码已连续输错 {n} 次，离线进入已停用\n请联网用密码登录（登录后恢复）",
        "Wrong PIN {n} times in a row: offline entry is off. Sign in online with your"
        " password to turn it back on",
    ),
    "signin.err_locked_out": (
        "PIN 码输错次数过多，请联网用密码登录",
        "Too many wrong PINs; sign in online with your password",
    ),
    # grid (household list)
    "grid.title": ("我的网格", "My grid"),
    "grid.search_hint": (
        "搜索户主姓名、户编号或身份证号",
        "Name, household no. or ID number",
    ),
    "grid.filter.risk": ("有风险", "At risk"),
    "grid.filter.due": ("待走访", "Visit due"),
    "grid.filter.overdue": ("已逾期", "Overdue"),
    "grid.filter.unsynced": ("未同步", "Unsynced"),
    "grid.filter.conflict": ("有冲突", "Conflict"),
    "grid.filter.returned": ("被退回", "Returned"),
    "grid.filter.active": ("在册", "On the register"),
    "grid.filter.left": ("已迁出/合户", "Moved away or merged"),
    "grid.register": ("登记新农户", "Register a household"),
    "grid.choose_grid": ("登记到哪个网格？", "Which grid is the household in?"),
    "grid.no_grid": (
        "不知道您负责的网格：请先联网同步一次",
        "Your grid is not known yet: sync once while online",
    ),
    "grid.badge.new": ("新登记", "New"),
    "grid.count": ("共 {n} 户", "{n} households"),
    "grid.empty": ("没有符合条件的农户", "No households match"),
    "grid.never_visited": ("未走访", "Never visited"),
    "grid.due_on": ("应访 {date}", "Due {date}"),
    "grid.overdue_since": ("逾期 {date}", "Overdue {date}"),
    "grid.risks": ("风险 {n}", "Risk flags: {n}"),
    "grid.badge.unsynced": ("未同步", "Unsynced"),
    "grid.badge.conflict": ("冲突", "Conflict"),
    "grid.badge.returned": ("退回", "Returned"),
    "nav.sync": ("同步", "Sync"),
    "nav.returned": ("退回与冲突", "Returned"),
    "nav.settings": ("设置", "Settings"),
    # household
    "household.head": ("户主：{name}", "Head: {name}"),
    "household.address": ("地址：{address}", "Address: {address}"),
    "household.members": ("家庭成员", "Members"),
    "household.add_member": ("添加成员", "Add member"),
    "household.move_out": ("迁出", "Move out"),
    "household.new_visit": ("新建走访", "New visit"),
    "household.continue_draft": ("继续草稿（{date}）", "Continue draft ({date})"),
    "household.visits": ("走访记录", "Visits"),
    "household.no_visits": ("还没有走访记录", "No visits yet"),
    "household.flags": ("当前风险", "Current risks"),
    "household.no_flags": ("暂无风险提示", "No risk flags"),
    "household.comment": ("审核意见：{text}", "Reviewer: {text}"),
    "household.member_line": ("{relation} · {sex} · {age} 岁", "{relation} · {sex} · age {age}"),
    "household.edit": ("编辑农户信息", "Edit household details"),
    "household.register_actions": ("分户 · 移户 · 迁出", "Split · move · moved away"),
    "household.registered_here": (
        "本机新登记，尚未上传",
        "Registered on this phone, not uploaded yet",
    ),
    "household.field_new": ("新登记，待乡镇审核确认", "New from the field: awaiting confirmation"),
    "household.merged_into": ("已合并到 {household}", "Merged into {household}"),
    "household.err_move_out_head": (
        "户主不能迁出，请先更换户主",
        "The head cannot move out; change the head first",
    ),
    # member form
    "register.title_new": ("新登记农户", "Register a household"),
    "register.title_edit": ("编辑农户信息", "Edit household"),
    "register.saved": ("农户已保存（待同步）", "Household saved (to sync)"),
    "register.split_invalid": (
        "请至少选择一名迁出成员，并从中指定新户主",
        "Choose at least one member to move and the new head among them",
    ),
    "register.split_done": (
        "已分出新户（临时户编号 {number}，待同步）",
        "New household split off (provisional number {number}, to sync)",
    ),
    "register.move_invalid": ("请选择本网格内的另一户", "Choose another household of this grid"),
    "register.moved": ("成员已移户（待同步）", "Member moved (to sync)"),
    "register.merge_target": ("请选择并入的农户", "Choose the household it merged into"),
    "register.marked": ("已标记为“{status}”（待同步）", "Marked “{status}” (to sync)"),
    "register.unsaved_household": (
        "这户的修改还没有保存。",
        "This household's changes are not saved yet.",
    ),
    "register.actions_title": ("分户、移户、迁出", "Household changes"),
    "register.current_status": ("当前状态：{status}", "Now: {status}"),
    "register.tab_split": ("分户", "Split"),
    "register.tab_move": ("成员移户", "Move a member"),
    "register.tab_mark": ("迁出合户", "Moved or merged"),
    "register.tab_head": ("更换户主", "Change head"),
    "register.head_title": (
        "更换户主：户主去世、迁出或家里另定户主",
        "Change the head: the head died, moved out or the family chose another",
    ),
    "register.head_help": (
        "选择新户主。其他成员与新户主的关系按常见情况换算，确认前可查看；"
        "特殊情况之后在成员信息中修改。",
        "Choose the new head. Everyone's relation to them is worked out the usual way and"
        " shown before you confirm; correct an unusual family on the member form afterwards.",
    ),
    "register.head_preview": ("{name}：由{old}改为{new}", "{name}: {old} → {new}"),
    "register.head_confirm": ("确认更换户主", "Change the head"),
    "register.choose_new_head": ("请选择新户主", "Choose the new head"),
    "register.head_invalid": (
        "请选择本户一名在户成员（不是现任户主）",
        "Choose a member living in this household (not the current head)",
    ),
    "register.head_done": ("户主已更换为{name}（待同步）", "{name} is now the head (to sync)"),
    "register.split_title": (
        "分户：部分成员另立新户",
        "Split: some members set up a new household",
    ),
    "register.split_help": (
        "勾选要分出去的成员，并指定其中一人为新户主。新户会得到临时户编号。",
        "Tick the members who leave and choose the new head among them."
        " The new household gets a provisional number.",
    ),
    "register.new_head": ("新户主", "New head"),
    "register.choose_head": ("请指定新户主", "Choose the new head"),
    "register.split_confirm": ("确认分户", "Split off"),
    "register.open_new": ("打开新户 {number}", "Open the new household {number}"),
    "register.move_title": (
        "成员移户：把一名成员移到本网格另一户",
        "Move a member to another household of the grid",
    ),
    "register.move_who": ("1. 选择要移走的成员", "1. Choose the member who moves"),
    "register.move_where": ("2. 选择移入的农户", "2. Choose the household they join"),
    "register.choose_member": ("请选择要移户的成员", "Choose the member who moves"),
    "register.move_relation": (
        "3. 在新户中与户主的关系",
        "3. Their relation to that household's head",
    ),
    "register.choose_relation": (
        "请选择其在新户中与户主的关系",
        "Choose their relation to that household's head",
    ),
    "member.change_head_first": (
        "户主去世或迁出时，先在「分户 · 移户 · 迁出」的「更换户主」中指定新户主",
        "When the head died or moved out, first choose a new head under"
        " Split · move · moved away → Change head",
    ),
    "register.move_not_head": (
        "移入的成员不能作户主：原户主不变",
        "A member who joins cannot be its head: the household keeps its head",
    ),
    "register.move_confirm": ("确认移户", "Move the member"),
    "register.search_hint": ("户编号或户主姓名", "Household no. or head's name"),
    "register.more_targets": (
        "共 {n} 户，输入户编号或户主姓名查找",
        "{n} households: type a number or the head's name",
    ),
    "register.no_targets": ("没有找到农户", "No household found"),
    "register.chosen": ("已选：{household}", "Chosen: {household}"),
    "register.mark_title": ("迁出或合户", "Moved away or merged"),
    "register.mark_help": (
        "整户迁走或并入本网格另一户后，该户不再出现在农户列表中（走访记录保留）。",
        "A household that moved away or joined another one leaves the household list"
        " (its visits are kept).",
    ),
    "register.mark_active": ("在册（正常）", "On the register"),
    "register.mark_moved_away": ("已迁出（整户搬走）", "Moved away (the whole household)"),
    "register.mark_merged": ("已合户（并入另一户）", "Merged into another household"),
    "register.merge_where": ("并入哪一户？", "Which household did it join?"),
    "register.mark_confirm": ("确认标记", "Mark"),
    "register.mark_unchanged": ("状态没有变化", "The status is unchanged"),
    "register.ask_title": ("确认移出农户列表？", "Take it off the list?"),
    "register.ask_moved_away": (
        "标记为已迁出后，这户将不在农户列表中显示，也不再需要走访。确定吗？",
        "Marked moved away, this household leaves the household list and needs no more"
        " visits. Sure?",
    ),
    "register.ask_merged": (
        "标记为已并入 {household} 后，这户将不在农户列表中显示。确定吗？",
        "Marked merged into {household}, this household leaves the household list. Sure?",
    ),
    "register.ask_yes": ("确定标记", "Yes, mark it"),
    "register.unsaved_title": ("有未确认的选择", "Choices not confirmed"),
    "register.unsaved_text": (
        "您勾选或选择的内容还没有确认，返回后将丢失。",
        "What you ticked or chose is not confirmed yet and goes if you leave.",
    ),
    "register.unsaved_discard": ("放弃选择", "Discard choices"),
    "register.unsaved_stay": ("继续操作", "Keep choosing"),
    "member.title_new": ("添加成员", "Add member"),
    "member.title_edit": ("编辑成员", "Edit member"),
    "member.id_filled": (
        "已根据身份证号填写出生日期和性别",
        "Birth date and sex filled from the ID number",
    ),
    "member.saved": ("成员已保存（待同步）", "Member saved (to sync)"),
    "member.unsaved_title": ("有未保存的修改", "Unsaved changes"),
    "member.unsaved_text": (
        "这位成员的修改还没有保存。",
        "This member's changes are not saved yet.",
    ),
    "member.unsaved_save": ("保存并返回", "Save and go back"),
    "member.unsaved_discard": ("放弃修改", "Discard changes"),
    "member.unsaved_stay": ("继续编辑", "Keep editing"),
    "form.limit": ("最多选 {n} 项（已选 {count} 项）", "Up to {n} ({count} chosen)"),
    "form.limit_reached": (
        "已选满 {n} 项：先取消一项才能再选",
        "{n} chosen, the most allowed: untick one to choose another",
    ),
    # visit form
    "visit.title": ("入户走访", "Household visit"),
    "visit.net_income": ("家庭纯收入：{value} 元", "Net income: {value} yuan"),
    "visit.per_capita": ("人均纯收入：{value} 元", "Per-capita income: {value} yuan"),
    "visit.per_capita_none": ("人均纯收入：无常住成员", "Per-capita income: no resident members"),
    "visit.flags": ("风险提示", "Risk flags"),
    "visit.no_flags": ("暂无风险提示", "No risk flags"),
    "visit.draft_saved": ("草稿已自动保存 {time}", "Draft saved {time}"),
    "visit.saved": ("走访已保存，待同步", "Visit saved, waiting to sync"),
    "evidence.required": ("此项走访须提供", "Required for this visit"),
    "evidence.choose": ("选择照片", "Choose a photo"),
    "evidence.camera": ("拍照", "Take a photo"),
    "evidence.remove": ("删除", "Remove"),
    "evidence.clear": ("清除", "Clear"),
    "evidence.redo": ("重签", "Redo"),
    "evidence.keep": ("保存签名", "Keep signature"),
    "evidence.sign_here": ("请在框内签名", "Sign inside the box"),
    "evidence.not_image": ("无法读取此文件：{reason}", "Cannot read this file: {reason}"),
    "evidence.empty_signature": ("请先签名", "Draw the signature first"),
    "evidence.state.pending": ("待上传", "Not uploaded yet"),
    "evidence.state.uploaded": ("已上传", "Uploaded"),
    "evidence.state.missing": ("文件丢失，请重拍", "File missing: retake it"),
    "evidence.state.remote": ("在服务器上（点按查看）", "On the server (tap to fetch)"),
    "evidence.state.remote_thumb": (
        "在服务器上（点按缩略图看原图）",
        "On the server (tap the thumbnail for the full photo)",
    ),
    "evidence.state.thumb": ("已上传（本机仅存缩略图）", "Uploaded (thumbnail kept here)"),
    "evidence.state.refused": ("服务器拒收：{reason}", "Refused by the server: {reason}"),
    "evidence.retry_gps": ("重新定位", "Locate again"),
    "evidence.cancel": ("取消", "Cancel"),
    "evidence.ok": ("确定", "OK"),
    "evidence.show": ("查看", "Show"),
    "evidence.close": ("关闭", "Close"),
    "evidence.gallery": ("从相册选择", "Choose from gallery"),
    "evidence.camera_refused": (
        "未允许使用相机，可从相册选择",
        "Camera not allowed: choose from the gallery instead",
    ),
    "evidence.gallery_refused": (
        "未允许读取相册，无法从相册选择",
        "Photo access not allowed: cannot choose from the gallery",
    ),
    "evidence.camera_failed": ("无法取得照片：{reason}", "Could not get the photo: {reason}"),
    "evidence.fetching": ("正在获取原图…", "Fetching the full photo…"),
    "evidence.fetching_thumb": ("正在获取缩略图…", "Fetching the thumbnail…"),
    "evidence.fetch_failed": (
        "无法获取原图（{reason}），仍显示缩略图",
        "Could not fetch the full photo ({reason}); the thumbnail stays",
    ),
    "evidence.thumb_failed": (
        "无法获取缩略图，请联网后重试",
        "Could not fetch the thumbnail: try again with a network",
    ),
    "evidence.why.offline": ("没有网络", "no network"),
    "evidence.why.signed_out": ("未联网登录", "not signed in online"),
    "evidence.why.not_found": (
        "服务器上没有此文件或无权查看",
        "not on the server, or not yours to see",
    ),
    "evidence.why.damaged": ("收到的文件与记录不符", "the file received does not match the visit"),
    "files.wifi": ("{n}张照片等待Wi-Fi（{kb}KB）", "Photos waiting for Wi-Fi: {n} ({kb} KB)"),
    "files.wifi_short": ("{n}张照片等待Wi-Fi", "Photos waiting for Wi-Fi: {n}"),
    "files.left": (
        "还有{n}个文件（{kb}KB）未上传，下次同步继续",
        "Files not uploaded yet: {n} ({kb} KB), they go with the next sync",
    ),
    "files.left_short": ("照片和签名待上传{n}个", "Photos and signatures to upload: {n}"),
    "files.missing": (
        "{n}个文件丢失，请在走访中重拍",
        "Files missing: {n} (retake them in the visit)",
    ),
    "files.refused": (
        "{n}个文件被服务器拒收，请在走访中查看",
        "Files refused by the server: {n} (see the visit)",
    ),
    "files.all_sent": ("所有照片和签名已上传", "All files sent"),
    "sync.step.files": (
        "正在上传照片：剩余 {files} 个文件，{kb} KB",
        "Uploading photos: {files} files, {kb} KB left",
    ),
    "visit.has_errors": ("有 {n} 处需要修改", "Fields to fix: {n}"),
    "visit.date_future": (
        "走访日期不能晚于今天（{today}）",
        "The visit date cannot be after today ({today})",
    ),
    "visit.date_too_early": (
        "走访日期不能早于 {earliest}",
        "The visit date cannot be before {earliest}",
    ),
    "visit.members_hint": (
        "成员信息在农户详情中维护；此处列出本次走访时的常住成员",
        "Members are kept on the household page; here are the resident members",
    ),
    "visit.prev": ("上一节", "Previous"),
    "visit.next": ("下一节", "Next"),
    "visit.returned_comment": ("已被退回：{text}", "Returned: {text}"),
    "visit.rejected_comment": ("已驳回：{text}", "Rejected: {text}"),
    "visit.approved_comment": ("审核通过：{text}", "Approved: {text}"),
    "visit.resubmitted_comment": (
        "已修改，待重新审核（审核意见：{text}）",
        "Fixed, waiting for review again (comment: {text})",
    ),
    # sync
    "sync.title": ("数据同步", "Sync"),
    "sync.now": ("立即同步", "Sync now"),
    "sync.retry": ("重试", "Retry"),
    "sync.pending": ("待上传 {n} 条", "Changes to upload: {n}"),
    "sync.last": ("上次同步：{time}", "Last sync: {time}"),
    "sync.running": ("正在同步…", "Syncing…"),
    "sync.done": ("同步完成", "Sync finished"),
    "sync.step.push": ("正在上传 {done}/{total}", "Uploading {done}/{total}"),
    "sync.step.pull": ("正在下载更新（已收 {done} 条）", "Downloading updates ({done} received)"),
    "sync.step.config": ("正在更新参数", "Updating settings"),
    "sync.err.network": (
        "没有网络或连不上服务器，数据已保存在手机上，有信号时再同步",
        "No network or the server cannot be reached; your data is safe on the phone,"
        " sync again when you have signal",
    ),
    "sync.err.auth": (
        "登录已过期，请在设置中退出后重新登录",
        "Your sign-in expired; sign out in Settings and sign in again",
    ),
    "sync.err.server": ("服务器出错，请稍后重试", "The server had a problem; try again later"),
    "sync.err.scope": (
        "部分修改不在您的网格范围内，已单独保存",
        "Some edits are outside your grids and were set aside",
    ),
    "sync.err.other": ("同步失败：{detail}", "Sync failed: {detail}"),
    "sync.rejected": (
        "{n} 条修改被服务器拒绝，请到“退回与冲突”查看",
        "Edits refused by the server: {n}; see Returned",
    ),
    "sync.unreadable": (
        "{n} 条下载的记录无法保存，已单独保留，请到“退回与冲突”查看",
        "Downloaded records that could not be stored: {n}; see Returned",
    ),
    "sync.not_signed_in": ("尚未联网登录，无法同步", "Not signed in online; cannot sync"),
    "sync.needs_you": (
        "同步完成，但有事需要您处理：{what}。请到“退回与冲突”查看",
        "Synced, but something needs you: {what}. See Returned",
    ),
    "sync.auto": ("有网络时自动同步", "Syncs by itself when there is a network"),
    # what needs the worker (home and sync screens)
    # (zh without spaces: Kivy wraps only at spaces, so "1 户" would break after the digit)
    "attention.returned": ("{n}户走访被退回", "returned visits: {n}"),
    "attention.returned_named": ("{n}户走访被退回（{names}）", "returned visits: {n} ({names})"),
    "attention.conflicts": ("{n}个新冲突", "new conflicts: {n}"),
    "attention.rejected": ("{n}条修改被拒绝", "refused edits: {n}"),
    "attention.parked": ("{n}条记录暂存待处理", "parked records: {n}"),
    "home.offline": (
        "离线：填报都存在本机，联网后自动上传",
        "Offline: what you save stays on this phone and goes up by itself when the network is back",
    ),
    "home.waiting": ("待上传{n}条", "Waiting to upload: {n}"),
    "home.drafts": ("未保存的草稿{n}份", "Unsaved drafts: {n}"),
    "home.needs": ("需要处理：{what}", "Needs you: {what}"),
    "home.all_clear": ("没有需要处理的事项", "Nothing needs you"),
    # returned and conflicts
    "returned.title": ("退回与冲突", "Returned and conflicts"),
    "returned.empty": ("没有被退回的走访或冲突", "Nothing returned, no conflicts"),
    "returned.kind.returned": ("走访被退回", "Visit returned"),
    "returned.kind.rejected_review": ("走访被驳回", "Visit rejected"),
    "returned.kind.conflict": ("修改冲突", "Edit conflict"),
    "returned.kind.deleted_on_server": ("记录已在服务器删除", "Deleted on the server"),
    "returned.kind.rejected": ("修改被拒绝", "Edit refused"),
    "returned.kind.unreadable": (
        "无法保存的下载记录",
        "Downloaded record that could not be stored",
    ),
    "returned.kind.parked": ("修改已搁置", "Edit set aside"),
    "returned.unreadable_hint": (
        "已单独保留服务器发来的这条记录，其余数据照常同步；请告知乡镇管理员核对",
        "This record from the server was set aside and the rest synced as usual;"
        " tell your township administrator",
    ),
    "returned.record_whole": ("整条记录", "Whole record"),
    "returned.parked_removed": (
        "该户已不在您的网格内，修改已单独保存，可在设置中导出",
        "This household left your grids; the edit was kept and can be exported in Settings",
    ),
    "parked.problem.not_an_object": ("不是一条记录", "not a record"),
    "parked.problem.wrong_type": ("类型不对", "wrong type"),
    "parked.problem.number_not_finite": ("数值无效", "not a finite number"),
    "parked.problem.number_out_of_range": ("数值超出范围", "number out of range"),
    "parked.problem.date_invalid": ("日期无效", "not a valid date"),
    "parked.problem.date_out_of_range": ("日期超出范围", "date out of range"),
    "parked.problem.too_deep": ("嵌套过深", "nested too deeply"),
    "parked.problem.cannot_store": ("本机无法保存", "this phone cannot store it"),
    "returned.conflict_detail": (
        "{field}：与他人的修改冲突，当前值为 {value}，等待审核人员裁定",
        "{field}: conflicts with another edit; current value {value}; a supervisor will decide",
    ),
    "returned.conflict_sent": (
        "您修改的 {fields} 与他人的修改冲突，两份都已保留，等待审核人员裁定",
        "Your edit of {fields} conflicts with another edit;"
        " both are kept until a supervisor decides",
    ),
    "returned.conflict_household_deleted": (
        "该户已被他人删除；您保存的{record}已保留在服务器，等待审核人员决定是否恢复该户",
        "The household was deleted on another phone; your {record} is kept on the server"
        " until a supervisor decides whether to restore the household",
    ),
    "returned.conflict_edit_deleted": (
        "此记录已被他人删除；您的修改已保留在服务器，等待审核人员决定是否恢复",
        "This record was deleted on another phone; your edit is kept on the server"
        " until a supervisor decides whether to restore it",
    ),
    "returned.conflict_delete_edited": (
        "您删除的记录已被他人修改，暂时保留，等待审核人员裁定是否删除",
        "The record you deleted was edited on another phone; it is kept"
        " until a supervisor decides whether to delete it",
    ),
    "returned.record.visit": ("{date} 的走访", "visit of {date}"),
    "returned.record.member": ("成员“{name}”", "member “{name}”"),
    "returned.open": ("打开", "Open"),
    # settings
    "settings.title": ("设置", "Settings"),
    "settings.language": ("语言", "Language"),
    "settings.lang.zh": ("简体中文", "简体中文"),
    "settings.lang.en": ("English", "English"),
    "settings.server_url": ("服务器地址", "Server address"),
    "settings.save_url": ("保存地址", "Save address"),
    "settings.url_saved": ("地址已保存", "Address saved"),
    "settings.user": ("当前用户：{name}", "Signed in as {name}"),
    "settings.sign_out": ("退出登录", "Sign out"),
    "settings.sign_out_unsynced": (
        "还有 {n} 条修改未同步，退出后将无法上传。确定退出吗？",
        "Changes not synced yet: {n}. They cannot be uploaded after signing out. Sign out anyway?",
    ),
    "settings.sign_out_confirm": ("仍然退出", "Sign out anyway"),
    "settings.signed_out": ("已退出登录", "Signed out"),
    "settings.export": ("导出未同步数据", "Export unsynced work"),
    "settings.lock": ("锁定", "Lock"),
    "settings.auto_lock": ("无操作自动锁定", "Lock after no use for"),
    "settings.auto_lock_minutes": ("{n} 分钟", "{n} min"),
    "signin.locking": (
        "正在锁定：等同步停下后关闭数据…",
        "Locking: the data closes once the sync has stopped…",
    ),
    "settings.change_pin": ("修改本机 PIN 码", "Change device PIN"),
    "settings.current_pin": ("当前 PIN 码（未设置可不填）", "Current PIN (empty if none is set)"),
    "settings.new_pin": ("新 PIN 码（4–8 位数字）", "New PIN (4–8 digits)"),
    "settings.save_pin": ("保存 PIN 码", "Save PIN"),
    "settings.pin_changed": (
        "PIN 码已修改，旧 PIN 码不再有效",
        "PIN changed; the old PIN no longer works",
    ),
    "settings.pin_wrong_current": ("当前 PIN 码不正确", "The current PIN is wrong"),
    "settings.pin_failed": ("修改失败：{reason}", "Could not change the PIN: {reason}"),
    "settings.exported": (
        "已导出 {n} 条未同步修改到：{path}（交给乡镇导入）",
        "Exported {n} unsynced changes to: {path} (hand it to the township to import)",
    ),
    "settings.export_failed": ("导出失败：{reason}", "Export failed: {reason}"),
    "settings.wifi_only": ("照片仅在Wi-Fi下上传", "Photos on Wi-Fi only"),
    "settings.wifi_only_help": (
        "开启后，用手机流量时照片留在本机，连上Wi-Fi再传；记录和签名照常同步。",
        "On mobile data photos stay on the phone until Wi-Fi; records and signatures still sync.",
    ),
    "settings.on": ("开启", "On"),
    "settings.off": ("关闭", "Off"),
    "settings.wifi_only_forced": (
        "当前由环境变量 TIANYE_PHOTOS_WIFI_ONLY 决定（{state}）",
        "Set by TIANYE_PHOTOS_WIFI_ONLY for now ({state})",
    ),
}


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **fmt: Any) -> str:
    """The string for `key` in `lang` (zh when unknown), formatted with `fmt`.

    An unknown key raises KeyError: a missing translation is a bug the tests must catch.
    """
    zh, en = STRINGS[key]
    text = en if lang == "en" else zh
    return text.format(**fmt) if fmt else text
