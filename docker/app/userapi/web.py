"""HTTP layer: routes, error mapping to JSON and one access-log line per request."""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import quote

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from userapi.logs import LOGGER_NAME
from userapi.store import (
    StoreError,
    StoreMisconfigured,
    StoreRejected,
    StoreUnavailable,
    UserExists,
    UserStore,
)
from userapi.validation import (
    ValidationError,
    parse_json_body,
    validate_new_user,
    validate_user_id,
)

MAX_BODY_BYTES = 64 * 1024
OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi.json"


def _json(payload: Any, status: int, headers: Optional[Dict[str, str]] = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"))
    return Response(body, status=status, mimetype="application/json", headers=headers)


def _error(status: int, message: str) -> Response:
    return _json({"error": message, "status": status}, status)


def create_app(store: UserStore, logger: Optional[logging.Logger] = None) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    log = logger or logging.getLogger(LOGGER_NAME)
    openapi_doc = OPENAPI_PATH.read_bytes()

    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        # Accept a caller's id only if it is short and printable, so logs can't be injected.
        g.request_id = incoming if 0 < len(incoming) <= 128 and incoming.isprintable() else None
        g.request_id = g.request_id or uuid.uuid4().hex

    @app.after_request
    def access_log(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        duration_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        status = response.status_code
        # The transaction schema of monitoring/README.md, so its CloudWatch metric filters work
        # on this service. No body, no query string: they may carry PII (email, names).
        log.info(
            "request",
            extra={
                "fields": {
                    "event": "transaction",
                    "request_id": g.get("request_id"),
                    "method": request.method,
                    "path": request.path,
                    # The route template keeps metric cardinality bounded; None: no route matched.
                    "route": request.url_rule.rule if request.url_rule else None,
                    "status": status,
                    "outcome": "success"
                    if status < 400
                    else ("client_error" if status < 500 else "server_error"),
                    "latency_ms": round(duration_ms, 2),
                    "duration_ms": round(duration_ms, 2),
                    "remote_addr": request.remote_addr,
                }
            },
        )
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        messages = {
            400: "malformed request",
            404: "no such path",
            405: "method not allowed on this path",
            413: f"request body larger than {MAX_BODY_BYTES} bytes",
            415: "Content-Type must be application/json",
        }
        response = _error(status, messages.get(status, exc.name))
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(StoreUnavailable)
    def store_unavailable(exc: StoreUnavailable) -> Response:
        log.warning(
            "store unavailable",
            extra={"fields": {"request_id": g.get("request_id"), "cause": str(exc)}},
        )
        response = _error(503, "user store temporarily unavailable, retry later")
        # Jittered, so clients told to come back do not all come back in the same second.
        response.headers["Retry-After"] = str(random.randint(1, 5))  # noqa: S311 - jitter only
        return response

    @app.errorhandler(StoreMisconfigured)
    def store_misconfigured(exc: StoreMisconfigured) -> Response:
        # An operator must act (table missing, access denied): an error, not an outage to wait
        # out. /readyz reports not ready until a store call succeeds again.
        log.error(
            "store misconfigured",
            extra={"fields": {"request_id": g.get("request_id"), "cause": str(exc)}},
        )
        return _error(500, "internal error")

    @app.errorhandler(StoreRejected)
    def store_rejected(exc: StoreRejected) -> Response:
        # Validation should have caught it; log it so the gap gets closed.
        log.warning(
            "store rejected request",
            extra={"fields": {"request_id": g.get("request_id"), "cause": str(exc)}},
        )
        return _error(400, "the user store refused this request")

    @app.errorhandler(ValidationError)
    def invalid(exc: ValidationError) -> Response:
        return _error(400, str(exc))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.error(
            "unhandled error", exc_info=exc, extra={"fields": {"request_id": g.get("request_id")}}
        )
        return _error(500, "internal error")

    @app.get("/healthz")
    def healthz() -> Response:
        return _json({"status": "ok"}, 200)

    @app.get("/readyz")
    def readyz() -> Response:
        try:
            store.ping()
        except StoreError as exc:
            log.warning("not ready", extra={"fields": {"cause": str(exc)}})
            return _error(503, "not ready: the user store does not answer")
        if store.fault:
            return _error(503, "not ready: the user store is misconfigured")
        return _json({"status": "ready", "table": store.table}, 200)

    @app.get("/openapi.json")
    def openapi() -> Response:
        return Response(openapi_doc, status=200, mimetype="application/json")

    @app.post("/user")
    def create_user() -> Response:
        if request.mimetype != "application/json" or request.mimetype_params.get(
            "charset", "utf-8"
        ).lower() not in ("utf-8", "utf8"):
            return _error(415, "Content-Type must be application/json (UTF-8)")
        # Read the body ourselves so the 64 KiB cap also holds for chunked uploads.
        user = validate_new_user(parse_json_body(request.get_data(cache=False)))
        try:
            stored = store.create(user)
        except UserExists:
            return _error(409, "a user with this user_id already exists")
        location = "/user?user_id=" + quote(stored["user_id"], safe="")
        return _json(stored, 201, headers={"Location": location})

    @app.get("/user")
    def get_user() -> Response:
        unknown = sorted(set(request.args) - {"user_id"})
        if unknown:
            shown = ", ".join(json.dumps(key)[:40] for key in unknown[:5])
            return _error(400, f"unknown query parameter(s): {shown}")
        values = request.args.getlist("user_id")
        if not values:
            # There is no listing: a bulk read of the table would be unauthenticated (README).
            return _error(400, "user_id is required")
        if len(values) > 1:
            return _error(400, "user_id must be given once")
        user = store.get(validate_user_id(values[0]))
        return _json(user, 200) if user else _error(404, "user not found")

    return app
