"""Tianye sync server (Flask): `create_app(config=None)` builds the app from `Config`.

The app keeps no state in memory between requests (tokens, rate limits, cursors and versions
all live in the database, or Redis), so any number of gunicorn workers share one database.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api

from shared_schema import SCHEMA_VERSION
from shared_schema.schemas.protocol import ErrorSchema
from shared_schema.timefmt import parse_zone
from sync_server.config import Config
from sync_server.extensions import Database, init_rate_limits, init_storage

API_VERSION = "1.0.0"
SWAGGER_UI_URL = "/api/swagger-ui/"


class TianyeApi(Api):
    """flask-smorest's Api documenting errors with the protocol's `ErrorSchema`."""

    ERROR_SCHEMA = ErrorSchema


API_DESCRIPTION = """\
The Tianye sync protocol v1 (PROTOCOL.md) with the decisions of docs/protocol-notes.md:
a push batch touching any record outside the caller's grids is a 403 and writes nothing;
a mutation-id gap is a 409 that still commits the mutations before it (`last_mutation_id`,
`results`); rejected mutations consume their id and do not block the batch; the merged record
is validated as a whole; a member or visit saved for a household another device deleted is
a `_deleted` conflict (stored deleted, restored with its household if a supervisor resolves
`false`), not a rejection; clients may only send `review_status: "submitted"`; pulls never skip
a version (a counter row orders commits); grid reassignment re-stamps the grid's records and
sends `removed` entries to the previous worker. Errors are JSON `{code, status, message,
errors}` in the `Accept-Language` language (zh default, en). Requests may be gzip-encoded
(2 MiB inflated at most); responses are gzipped on `Accept-Encoding: gzip`.
"""


def create_app(config: Config | dict[str, Any] | None = None) -> Flask:
    """Build the Flask app (the database schema is created by `init-db`, not here)."""
    from sync_server import api as api_package
    from sync_server import errors, http
    from sync_server.console.blueprint import init_console

    if config is None:
        config = Config()
    elif isinstance(config, dict):
        config = Config(**config)
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(config.as_dict())
    app.config["TIME_ZONE_INFO"] = parse_zone(app.config["TIME_ZONE"])  # a bad zone stops start-up
    app.config.update(
        MAX_CONTENT_LENGTH=app.config["MAX_REQUEST_BYTES"],
        JSON_SORT_KEYS=False,
        API_TITLE="Tianye sync API",
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=SWAGGER_UI_URL,  # served from the package: works offline
        API_SPEC_OPTIONS={
            "info": {"description": API_DESCRIPTION, "x-schema-version": SCHEMA_VERSION},
            "security": [{"bearerAuth": []}],
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                }
            },
        },
    )
    http.configure_logging(app.config["LOG_LEVEL"])
    Database().init_app(app)
    init_rate_limits(app)
    init_storage(app)
    api = TianyeApi(app)
    api_package.register(app, api)
    _serve_swagger_ui(app)
    init_console(app)
    errors.register_error_handlers(app)  # after the console: API errors stay JSON
    http.install(app)
    if app.config.get("TRUST_PROXY"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]
    app.extensions["tianye_api"] = api
    return app


def _serve_swagger_ui(app: Flask) -> None:
    """Swagger UI from the `swagger-ui-bundle` package: no CDN, the sites are offline."""
    import swagger_ui_bundle
    from flask import send_from_directory

    @app.get(f"{SWAGGER_UI_URL}<path:filename>")
    def swagger_ui_static(filename: str) -> Any:
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)
