"""Container entrypoint: run the service as the owner of the log folder, or fail loudly.

Why: on Linux a bind-mounted ./logs keeps numeric owners, so the files the service writes belong
to whatever UID it runs as. Started as root (compose does, with every capability dropped but
CHOWN/SETUID/SETGID), this script looks at who owns /var/log/app on the host and becomes that
user before it starts the service, so the engineer who cloned the repository owns app.log:

- the folder belongs to a non-root UID (the committed docker/logs in your clone, or one
  `make up` made): run as that UID/GID;
- it belongs to root and the engine maps container root to an unprivileged host user (rootless
  Docker or podman: /proc/self/uid_map is not the identity): stay container root, which is you;
- it belongs to real root (a rootful engine created the missing folder): hand it to the owner
  of $LOG_OWNER_REF (compose mounts compose.yaml there: the clone's owner), else to the image's
  own user ($APP_UID, 10001), and run as that.

Started as a non-root user (the image's default USER, `docker run --user`, ECS), it only checks.
With $ENSURE_TABLE set (compose sets it), it then creates that DynamoDB table if missing, with
the service's own app/create_table.py, retrying for up to $ENSURE_TABLE_SECONDS (60) while
DynamoDB starts; exit 69 (EX_UNAVAILABLE) with the last error when it never answers.
Either way, when $LOG_FILE_REQUIRED is true and the log file cannot be opened for appending, it
exits 78 (EX_CONFIG) with one line saying what to do, instead of serving without a log file.
Stdlib only and Python 3.8 compatible: it runs on the image's interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional, Tuple

EX_CONFIG = 78
EX_UNAVAILABLE = 69


def identity_user_namespace(uid_map: str) -> bool:
    """True when container UID 0 is host UID 0 (a rootful engine, no user namespace)."""
    for line in uid_map.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[0] == "0":
            return fields[1] == "0"
    return True


def choose_owner(
    folder: Tuple[int, int],
    ref: Optional[Tuple[int, int]],
    rootful: bool,
    fallback: Tuple[int, int],
) -> Tuple[Tuple[int, int], bool]:
    """(uid, gid) to run as, and whether the folder must be handed to it first."""
    if folder[0] != 0:
        return folder, False
    if not rootful:
        return (0, 0), False
    if ref is not None and ref[0] != 0:
        return ref, True
    return fallback, True


def owner(path: str) -> Optional[Tuple[int, int]]:
    try:
        info = Path(path).stat()
    except OSError:
        return None
    return info.st_uid, info.st_gid


def say(message: str) -> None:
    print(f"[entrypoint] {message}", file=sys.stderr, flush=True)


def become_log_owner(log_dir: str) -> None:
    folder = owner(log_dir)
    if folder is None:
        return  # nothing mounted and nothing to adopt; the writability check speaks
    try:
        uid_map = Path("/proc/self/uid_map").read_text()
    except OSError:
        uid_map = ""
    ref_path = os.environ.get("LOG_OWNER_REF", "")
    fallback = (int(os.environ.get("APP_UID", "10001")), int(os.environ.get("APP_GID", "10001")))
    (uid, gid), hand_over = choose_owner(
        folder, owner(ref_path) if ref_path else None, identity_user_namespace(uid_map), fallback
    )
    if hand_over:
        os.chown(log_dir, uid, gid)
        say(f"{log_dir} belonged to root on the host; handed it to {uid}:{gid}")
    if uid != 0:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    say(f"running as {uid}:{gid}, the owner of {log_dir}")


def check_log_file(log_dir: str) -> Optional[str]:
    """None when LOG_DIR/app.log can be appended to, else the reason."""
    try:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        with open(Path(log_dir) / "app.log", "a", encoding="utf-8"):
            pass
    except OSError as exc:
        return f"{exc.strerror or exc} ({exc.filename or log_dir})"
    return None


def ensure_table(table: str, seconds: float) -> Optional[str]:
    """None once ``table`` exists (made if missing), else the last error after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        result = subprocess.run(
            [sys.executable, os.environ.get("CREATE_TABLE_SCRIPT", "/app/create_table.py"), table],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        if result.returncode == 0:
            say(result.stdout.strip())
            return None
        lines = result.stdout.strip().splitlines() or [f"exit {result.returncode}"]
        if time.monotonic() > deadline:
            return lines[-1]
        time.sleep(1)


def main(argv: List[str]) -> int:
    if not argv:
        say("usage: entrypoint.py COMMAND [ARG...]")
        return 2
    log_dir = os.environ.get("LOG_DIR", "/var/log/app")
    required = os.environ.get("LOG_FILE_REQUIRED", "").lower() in ("1", "true", "yes")
    if log_dir and os.getuid() == 0:
        become_log_owner(log_dir)
    if log_dir:
        problem = check_log_file(log_dir)
        if problem and required:
            say(
                f"cannot write the log file {log_dir}/app.log as {os.getuid()}:{os.getgid()}: "
                f"{problem}. Make docker/logs yours (`rmdir docker/logs; mkdir docker/logs`, or "
                "`sudo chown -R $(id -u):$(id -g) docker/logs`) and start again; docker/README.md"
                ", 'Logs'."
            )
            return EX_CONFIG
        if problem:
            say(f"log file disabled: {problem}")
    table = os.environ.get("ENSURE_TABLE", "")
    if table:
        say(f"ensuring DynamoDB table {table} exists")
        error = ensure_table(table, float(os.environ.get("ENSURE_TABLE_SECONDS", "60")))
        if error:
            endpoint = os.environ.get("AWS_ENDPOINT_URL", "(AWS)")
            say(f"DynamoDB at {endpoint} never answered: {error}")
            return EX_UNAVAILABLE
    # exec, not a child: the service gets the signals and the PID the engine's init forwards to.
    os.execvp(argv[0], argv)  # noqa: S606 - the image's own CMD, no shell involved
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
