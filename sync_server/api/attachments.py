"""`/api/v1/attachments`: tus 1.0.0 uploads (core, creation, termination) and scoped reads.

Headers are the protocol here, so the views parse them and hand plain values to
`sync_server.services.attachments`; every response (errors too) carries `Tus-Resumable`.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from shared_schema.schemas.protocol import ErrorSchema
from sync_server.api.context import lang, now, principal
from sync_server.errors import ServiceError
from sync_server.extensions import current_db, current_storage
from sync_server.messages import message
from sync_server.services import attachments as service

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination"
PATH = "/api/v1/attachments"

blp = Blueprint(
    "attachments",
    __name__,
    url_prefix=PATH,
    description="Photos and signatures of visits: tus 1.0.0 uploads by SHA-256, scoped reads "
    "(PROTOCOL.md Attachments, docs/attachments.md).",
)


@blp.after_app_request
def _tus_headers(response: Response) -> Response:
    if request.path == PATH or request.path.startswith(PATH + "/"):
        response.headers["Tus-Resumable"] = TUS_VERSION
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _localized(exc: ServiceError) -> ServiceError:
    """Field errors carry message keys; the client reads them in its language."""
    exc.errors = {
        field: [message(text, lang()) for text in texts] for field, texts in exc.errors.items()
    }
    return exc


def _require_tus() -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise ServiceError(412, "attachment_tus_version", headers={"Tus-Version": TUS_VERSION})


def _int_header(name: str, key: str) -> int | None:
    raw = request.headers.get(name)
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise _localized(ServiceError(400, "bad_request", {name: [key]}))
    return int(raw)


def parse_metadata(header: str) -> dict[str, str]:
    """tus `Upload-Metadata`: comma-separated `key base64value` pairs (value optional)."""
    result: dict[str, str] = {}
    for pair in header.split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, value = pair.partition(" ")
        if not key or key in result:
            raise ValueError(f"bad metadata key {key!r}")
        try:
            result[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ValueError(f"metadata {key!r} is not base64 UTF-8") from exc
    return result


def _upload_headers(state: service.UploadState) -> dict[str, str]:
    return {
        "Upload-Offset": str(state.offset),
        "Upload-Length": str(state.length),
        "Cache-Control": "no-store",
    }


@blp.route("")
class Uploads(MethodView):
    @blp.response(204, description="tus capabilities: Tus-Version, Tus-Extension, Tus-Max-Size.")
    def options(self) -> Response:
        """tus discovery (no token needed)."""
        from flask import current_app

        return Response(
            status=204,
            headers={
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": TUS_EXTENSIONS,
                "Tus-Max-Size": str(current_app.config["ATTACHMENT_MAX_BYTES"]),
            },
        )

    @blp.response(
        201,
        description="Created (or already complete: dedupe); Location, Upload-Offset and a "
        "JSON summary `{sha256, offset, length, complete}`.",
    )
    @blp.alt_response(400, schema=ErrorSchema, description="Bad Upload-Length or metadata.")
    @blp.alt_response(412, schema=ErrorSchema, description="Not tus 1.0.0.")
    @blp.alt_response(413, schema=ErrorSchema, description="Larger than Tus-Max-Size.")
    def post(self) -> Response:
        """tus creation: `Upload-Length`, `Upload-Metadata` with `sha256` and `mime`."""
        from flask import current_app

        _require_tus()
        try:
            meta = parse_metadata(request.headers.get("Upload-Metadata", ""))
        except ValueError:
            raise _localized(
                ServiceError(400, "attachment_bad_creation", {"Upload-Metadata": ["bad_request"]})
            ) from None
        length = _int_header("Upload-Length", "attachment_bad_length")
        try:
            state = service.create_upload(
                current_db(),
                current_storage(),
                principal(),
                sha256=meta.get("sha256", ""),
                mime=meta.get("mime", ""),
                length=length,
                max_size=current_app.config["ATTACHMENT_MAX_BYTES"],
                now=now(),
            )
        except ServiceError as exc:
            raise _localized(exc) from None
        service.maybe_expire_uploads(current_db(), current_storage(), now=now())
        headers = _upload_headers(state) | {"Location": f"{PATH}/{state.sha256}"}
        body = {
            "sha256": state.sha256,
            "offset": state.offset,
            "length": state.length,
            "complete": state.complete,
        }
        return Response(json.dumps(body), 201, headers=headers, mimetype="application/json")


@blp.route("/<string:sha256>")
class Upload(MethodView):
    @blp.response(200, description="Upload-Offset and Upload-Length (equal when complete).")
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown, or another user's upload.")
    def head(self, sha256: str) -> Response:
        """tus: how many bytes the server holds."""
        state = service.upload_state(current_db(), principal(), sha256)
        return Response(status=200, headers=_upload_headers(state))

    @blp.response(204, description="Appended; the new Upload-Offset.")
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown, or another user's upload.")
    @blp.alt_response(409, schema=ErrorSchema, description="Upload-Offset is not the server's.")
    @blp.alt_response(413, schema=ErrorSchema, description="Bytes beyond Upload-Length.")
    @blp.alt_response(415, schema=ErrorSchema, description="Not offset+octet-stream.")
    @blp.alt_response(
        422,
        schema=ErrorSchema,
        description="Last byte: hash or image check failed; the upload is back at offset 0.",
    )
    def patch(self, sha256: str) -> Response:
        """tus: append the body at `Upload-Offset`."""
        from flask import current_app

        _require_tus()
        if request.mimetype != "application/offset+octet-stream":
            raise ServiceError(415, "attachment_content_type")
        offset = _int_header("Upload-Offset", "attachment_bad_offset")
        if offset is None:
            raise _localized(
                ServiceError(400, "bad_request", {"Upload-Offset": ["attachment_bad_offset"]})
            )
        # a tus PATCH may carry up to the whole file (None would mean MAX_REQUEST_BYTES); the
        # service refuses a body beyond Upload-Length before reading it
        request.max_content_length = current_app.config["ATTACHMENT_MAX_BYTES"]
        try:
            state = service.append_bytes(
                current_db(),
                current_storage(),
                principal(),
                sha256,
                offset=offset,
                content_length=request.content_length,
                stream=request.stream,
                spool_dir=current_app.config["ATTACHMENT_SPOOL_DIR"],
                now=now(),
            )
        except ServiceError as exc:
            raise _localized(exc) from None
        return Response(status=204, headers={"Upload-Offset": str(state.offset)})

    @blp.response(204, description="The unfinished upload is gone.")
    @blp.alt_response(403, schema=ErrorSchema, description="The file is complete.")
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown, or another user's upload.")
    def delete(self, sha256: str) -> Response:
        """tus termination of an unfinished upload of the caller's."""
        _require_tus()
        service.terminate_upload(current_db(), current_storage(), principal(), sha256)
        return Response(status=204)

    @blp.response(200, description="The file (or `?variant=thumb`: a JPEG ≤ 320 px).")
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown, unfinished or not yours.")
    def get(self, sha256: str) -> Response:
        """The bytes of a complete file the caller may read."""
        return file_response(principal(), sha256, request.args.get("variant"))


def file_response(who: Any, sha256: str, variant: str | None) -> Response:
    """The streamed file or thumbnail (also used by the console), immutable by its hash."""
    if variant not in (None, "", "thumb"):
        raise ServiceError(404, "not_found")
    stored = service.readable_file(current_db(), who, sha256)
    storage = current_storage()
    if variant == "thumb":
        key, mime, etag = service.thumb_key(sha256), "image/jpeg", f'"{sha256}-thumb"'
        length = storage.size(key)
        if length is None:
            raise ServiceError(404, "not_found")
    else:
        key, mime, etag, length = stored.key, stored.mime, f'"{sha256}"', stored.length
    headers = {
        "ETag": etag,
        "Cache-Control": "private, max-age=31536000, immutable",
        "Content-Disposition": "inline",
    }
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304, headers=headers)
    try:
        body = service.stream_file(storage, key)
    except KeyError:
        raise ServiceError(404, "not_found") from None
    response = Response(body, mimetype=mime, headers=headers | {"Content-Length": str(length)})
    response.direct_passthrough = True
    return response
