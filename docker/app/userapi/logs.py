"""Structured JSON logging to stdout and a rotated file in LOG_DIR."""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
import time
from pathlib import Path
from typing import Any, Dict, Optional

LOGGER_NAME = "userapi"


class JsonFormatter(logging.Formatter):
    """One JSON object per line; request fields come in through ``extra={"fields": {...}}``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: Dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, separators=(",", ":"))


def configure(log_dir: Optional[str], level: str = "INFO") -> logging.Logger:
    """Log to stdout and, when ``log_dir`` is writable, to ``log_dir/app.log`` (rotated)."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.handlers.clear()
    logger.setLevel(level.upper())
    logger.propagate = False
    formatter = JsonFormatter()
    stdout = logging.StreamHandler(sys.stdout)
    stdout.setFormatter(formatter)
    logger.addHandler(stdout)
    if log_dir:
        path = Path(log_dir)
        try:
            path.mkdir(parents=True, exist_ok=True)
            # 10 MiB x 5 keeps a laptop's ./logs bounded; in AWS the awslogs driver ships stdout.
            rotating = logging.handlers.RotatingFileHandler(
                str(path / "app.log"), maxBytes=10 * 1024 * 1024, backupCount=5, encoding="utf-8"
            )
        except OSError as exc:
            # A root-owned bind mount must not crash-loop the service: stdout still has every line.
            logger.warning(
                "log file disabled", extra={"fields": {"log_dir": str(path), "cause": str(exc)}}
            )
        else:
            rotating.setFormatter(formatter)
            logger.addHandler(rotating)
    return logger
