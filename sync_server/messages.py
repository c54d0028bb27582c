"""User-visible error messages in Simplified Chinese (default) and English (`Accept-Language`)."""

from __future__ import annotations

import re
from typing import Any

MESSAGES: dict[str, tuple[str, str]] = {
    "bad_request": ("请求格式错误。", "The request is malformed."),
    "invalid_json": ("请求体不是有效的 JSON。", "The request body is not valid JSON."),
    "bad_gzip": ("请求体不是有效的 gzip 数据。", "The request body is not valid gzip data."),
    "unauthorized": ("未登录或令牌无效，请重新登录。", "Missing or invalid token; sign in again."),
    "bad_credentials": ("用户名或密码错误。", "Wrong username or password."),
    "forbidden": ("无权执行此操作。", "You are not allowed to do this."),
    "out_of_scope": ("超出您的负责范围。", "Outside your scope."),
    "out_of_scope_batch": (
        "本批次中有超出您负责网格的修改，整批未写入。",
        "Some mutations touch records outside your grids; nothing of the batch was written.",
    ),
    "client_mismatch": (
        "client_id 与令牌绑定的设备不一致。",
        "client_id does not match the device this token is bound to.",
    ),
    "not_found": ("资源不存在。", "Not found."),
    "method_not_allowed": ("不支持此请求方法。", "Method not allowed."),
    "gap": (
        "变更编号不连续，请从 last_mutation_id + 1 开始重新发送。",
        "Mutation ids skip ahead; resend from last_mutation_id + 1.",
    ),
    "conflict_closed": ("该冲突已解决。", "This conflict is already resolved."),
    "too_large": ("请求过大。", "The request is too large."),
    "request_timeout": (
        "请求体发送过慢，连接已关闭，请重试。",
        "The request body came too slowly; the connection was closed. Try again.",
    ),
    "too_many_mutations": (
        "一次最多提交 {limit} 条变更。",
        "At most {limit} mutations per request.",
    ),
    "too_many_bytes": (
        "请求体解压后超过 {limit} 字节。",
        "The request body exceeds {limit} bytes uncompressed.",
    ),
    "not_json": ("请求体必须是 JSON（Content-Type: application/json）。", "The body must be JSON."),
    "validation": ("数据校验未通过。", "Validation failed."),
    "attachment_bad_creation": (
        "上传声明无效：需要 Upload-Length 以及 Upload-Metadata 中的 sha256 和 mime。",
        "Invalid upload: Upload-Length and sha256 and mime in Upload-Metadata are required.",
    ),
    "attachment_bad_sha256": (
        "sha256 应为 64 位小写十六进制。",
        "sha256 must be 64 lowercase hex digits.",
    ),
    "attachment_bad_mime": (
        "mime 应为 image/jpeg、image/png 或 image/webp。",
        "mime must be image/jpeg, image/png or image/webp.",
    ),
    "attachment_bad_length": (
        "Upload-Length 应为正整数。",
        "Upload-Length must be a positive integer.",
    ),
    "attachment_bad_offset": (
        "Upload-Offset 应为非负整数。",
        "Upload-Offset must be a non-negative integer.",
    ),
    "attachment_too_large": (
        "文件超过 {limit} 字节的上限。",
        "The file exceeds the limit of {limit} bytes.",
    ),
    "attachment_beyond_length": (
        "数据超出声明的文件长度（{limit} 字节）。",
        "The bytes go beyond the declared length ({limit} bytes).",
    ),
    "attachment_offset": (
        "偏移量与服务器不一致，请从 {offset} 字节处继续。",
        "The offset is not the server's; continue from byte {offset}.",
    ),
    "attachment_content_type": (
        "PATCH 的 Content-Type 必须是 application/offset+octet-stream。",
        "A PATCH needs Content-Type: application/offset+octet-stream.",
    ),
    "attachment_tus_version": (
        "仅支持 tus 1.0.0（Tus-Resumable: 1.0.0）。",
        "Only tus 1.0.0 is supported (Tus-Resumable: 1.0.0).",
    ),
    "attachment_complete": (
        "文件已上传完成，不能删除。",
        "The file is complete and cannot be deleted.",
    ),
    "attachment_rejected": (
        "文件未通过校验，已丢弃，请从头重新上传。",
        "The file failed its checks and was discarded; upload it again from the start.",
    ),
    "attachment_hash_mismatch": (
        "文件内容与 sha256 不符。",
        "The bytes do not match the sha256.",
    ),
    "attachment_not_an_image": ("文件不是可识别的图像。", "The file is not a readable image."),
    "attachment_wrong_type": (
        "图像格式与声明的 mime 不符。",
        "The image is not of the declared mime type.",
    ),
    "attachment_too_many_pixels": (
        "图像像素过多（疑似解压炸弹）。",
        "The image has too many pixels (a decompression bomb?).",
    ),
    "rate_limited": (
        "登录失败次数过多，请 {minutes} 分钟后再试。",
        "Too many failed sign-ins; try again in {minutes} minutes.",
    ),
    "server_error": ("服务器内部错误。", "Internal server error."),
    "unknown_household": ("该户不存在。", "Unknown household."),
    "unknown_grid": ("网格不存在。", "Unknown grid."),
    "household_no_taken": (
        "本网格已有农户使用该户编号。",
        "Another household of this grid already has this number.",
    ),
    "unstorable": ("数据库无法保存其中的某个值。", "The database cannot store a value of it."),
    "not_finite": ("数值超出范围（必须是有限数）。", "Not a finite number."),
    "non_canonical_id": (
        "编号必须是小写、带连字符的标准 UUID。",
        "Not a canonical UUID (lower-case, hyphenated).",
    ),
    "unknown_user": ("用户不存在。", "Unknown user."),
    "client_taken": (
        "此设备编号（client_id）已属于另一位用户；请用本人的设备编号登录。",
        "This client_id belongs to another user; sign in with your own client id.",
    ),
    "wrong_password": ("原密码错误。", "The old password is wrong."),
    "visit_not_closed": (
        "只有已通过或已驳回的走访才能重新打开。",
        "Only an approved or rejected visit can be reopened.",
    ),
    "grid_exists": ("网格编号已存在。", "A grid with this id already exists."),
    "user_exists": ("用户名已存在。", "This username is taken."),
    "not_a_worker": ("只能把网格分配给网格员。", "Grids can only be assigned to workers."),
    "unknown_entity": ("未知的记录类型。", "Unknown entity."),
    "not_a_visit": ("走访记录不存在。", "Unknown visit."),
    "bad_resolution": ("无法用此值解决冲突：{reason}", "This value cannot resolve it: {reason}"),
    "unknown_mutation": ("找不到该变更的原始结果。", "The original result is not on record."),
    "base_unknown": (
        "服务器没有该记录，无法基于此版本修改。",
        "The server does not hold this record; it cannot be edited at a version.",
    ),
    "config_changed": (
        "配置已被他人发布为第 {version} 版，请在最新版本上重新修改。",
        "Version {version} of the configuration was published meanwhile; edit the latest.",
    ),
    "config_unchanged": (
        "与当前生效的第 {version} 版配置相同，未发布新版本。",
        "Identical to version {version} in force; nothing was published.",
    ),
    "unknown_config_version": (
        "服务器未发布过第 {version} 版配置。",
        "The server has not published configuration version {version}.",
    ),
}


# marshmallow's and webargs' default field messages (the protocol schemas use them) in zh;
# exact texts first, then patterns. Anything else passes through unchanged.
FIELD_MESSAGES_ZH: dict[str, str] = {
    "Missing data for required field.": "缺少必填字段。",
    "Unknown field.": "未知字段。",
    "Field may not be null.": "该字段不能为空（null）。",
    "Not a valid integer.": "不是有效的整数。",
    "Not a valid number.": "不是有效的数字。",
    "Not a valid string.": "不是有效的字符串。",
    "Not a valid boolean.": "不是有效的布尔值。",
    "Not a valid datetime.": "不是有效的日期时间。",
    "Not a valid date.": "不是有效的日期。",
    "Not a valid UUID.": "不是有效的 UUID。",
    "Not a valid list.": "不是有效的列表。",
    "Not a valid mapping type.": "不是有效的对象。",
    "Invalid input type.": "输入类型无效。",
    "Invalid JSON body.": "请求体不是有效的 JSON。",
    "Invalid value.": "值无效。",
    "An upsert needs data.": "upsert 需要 data。",
    "A delete carries no data.": "delete 不能携带 data。",
    "A return or reject needs a comment.": "退回或驳回需要填写意见。",
    "A supervisor needs a township.": "督导员账号需要指定乡镇。",
    "A grid is listed twice.": "网格重复。",
    "Belongs to another user.": "属于另一位用户。",
    "Wrong password.": "密码错误。",
    "The new password must differ from the old.": "新密码不能与原密码相同。",
    "Nothing to change.": "没有要修改的内容。",
    "Only workers have grids.": "只有网格员负责网格。",
    "You cannot deactivate yourself.": "不能停用自己的账号。",
    "You cannot change your own role.": "不能修改自己的角色。",
}
FIELD_PATTERNS_ZH: tuple[tuple[str, str], ...] = (
    (
        r"^Must be greater than or equal to (.*) and less than or equal to (.*)\.$",
        r"必须在 \1 与 \2 之间。",
    ),
    (r"^Must be one of: (.*)\.$", r"必须是以下之一：\1。"),
    (r"^Must be greater than or equal to (.*)\.$", r"必须大于或等于 \1。"),
    (r"^Must be less than or equal to (.*)\.$", r"必须小于或等于 \1。"),
    (r"^Length must be between (.*) and (.*)\.$", r"长度必须在 \1 与 \2 之间。"),
    (r"^Shorter than minimum length (.*)\.$", r"长度不能少于 \1。"),
    (r"^Longer than maximum length (.*)\.$", r"长度不能超过 \1。"),
)


def localize_field_message(text: str, lang: str) -> str:
    """A marshmallow default message in `lang` (zh translations; en unchanged)."""
    if lang != "zh":
        return text
    if text in FIELD_MESSAGES_ZH:
        return FIELD_MESSAGES_ZH[text]
    for pattern, replacement in FIELD_PATTERNS_ZH:
        if re.match(pattern, text):
            return re.sub(pattern, replacement, text)
    return text


def pick_lang(accept_language: str | None) -> str:
    """`en` when the client prefers English, else `zh`."""
    if not accept_language:
        return "zh"
    best: tuple[float, str] = (-1.0, "zh")
    for part in accept_language.split(","):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower()
        q = 1.0
        for b in bits[1:]:
            if b.strip().startswith("q="):
                try:
                    q = float(b.strip()[2:])
                except ValueError:
                    q = 0.0
        lang = "en" if tag.startswith("en") else "zh" if tag.startswith("zh") else None
        if lang and q > best[0]:
            best = (q, lang)
    return best[1]


def message(key: str, lang: str = "zh", **fmt: Any) -> str:
    """The message `key` in `lang`, formatted with `fmt`."""
    zh, en = MESSAGES.get(key, (key, key))
    text = en if lang == "en" else zh
    return text.format(**fmt) if fmt else text
