"""HTTP layer: routes, error mapping to JSON and one access-log line per request."""

from __future__ import annotations

import json
import logging
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Optional

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from userapi.logs import LOGGER_NAME
from userapi.store import InvalidCursor, StoreUnavailable, UserExists, UserStore
from userapi.validation import ValidationError, parse_limit, validate_new_user, validate_user_id

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
        response.headers["Retry-After"] = "1"
        return response

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
        store.ping()  # StoreUnavailable -> 503
        return _json({"status": "ready", "table": store.table}, 200)

    @app.get("/openapi.json")
    def openapi() -> Response:
        return Response(openapi_doc, status=200, mimetype="application/json")

    @app.post("/user")
    def create_user() -> Response:
        if request.mimetype != "application/json":
            return _error(415, "Content-Type must be application/json")
        # Read the body ourselves so the 64 KiB cap also holds for chunked uploads.
        raw = request.get_data(cache=False)
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return _error(400, "body is not valid JSON")
        try:
            user = validate_new_user(body)
        except ValidationError as exc:
            return _error(400, str(exc))
        try:
            stored = store.create(user)
        except UserExists:
            return _error(409, "a user with this user_id already exists")
        return _json(stored, 201, headers={"Location": f"/user?user_id={stored['user_id']}"})

    @app.get("/user")
    def get_user() -> Response:
        unknown = sorted(set(request.args) - {"user_id", "limit", "next"})
        if unknown:
            return _error(400, f"unknown query parameter(s): {', '.join(unknown)}")
        user_id = request.args.get("user_id")
        try:
            if user_id is not None:
                # limit/next only shape a listing; OpenAPI 3.0 cannot express "exclusive".
                user = store.get(validate_user_id(user_id))
                return _json(user, 200) if user else _error(404, "user not found")
            limit = parse_limit(request.args.get("limit"))
            users, cursor = store.list(limit, request.args.get("next") or None)
        except (ValidationError, InvalidCursor) as exc:
            return _error(400, str(exc))
        return _json({"users": users, "next": cursor}, 200)

    return app
