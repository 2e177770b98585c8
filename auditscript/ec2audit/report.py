"""Report formats (CSV, JSON, Markdown) and the atomic file write.

Writers take an iterable of rows and stream them to a file object. The file is written under a
temporary name in the target folder and renamed over the target only once complete, so a reader
never sees half a report and a failed run leaves an existing report untouched.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Callable, Dict, Iterable, List, NamedTuple, Sequence, Tuple, Union

from .collect import Row
from .errors import OutputError

FORMATS = ("csv", "json", "markdown")
EXTENSIONS = {"csv": "csv", "json": "json", "markdown": "md"}

# The first four columns are the contract; the rest help whoever reads the report.
COLUMNS = (
    "InstanceID",
    "StartTime",
    "Size",
    "TotalDiskGiB",
    "AccountId",
    "Region",
    "State",
    "Name",
    "AvailabilityZone",
    "EbsGiB",
    "InstanceStoreGB",
    "VolumeCount",
    "FirstLaunchTime",
)
# Characters that make spreadsheets evaluate a cell (CSV injection through a Name tag).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def as_record(row: Row) -> Dict[str, Union[str, int]]:
    return {
        "InstanceID": row.instance_id,
        "StartTime": row.start_time,
        "Size": row.size,
        "TotalDiskGiB": row.total_disk_gib,
        "AccountId": row.account_id,
        "Region": row.region,
        "State": row.state,
        "Name": row.name,
        "AvailabilityZone": row.availability_zone,
        "EbsGiB": row.ebs_gib,
        "InstanceStoreGB": row.instance_store_gb,
        "VolumeCount": row.volume_count,
        "FirstLaunchTime": row.first_launch_time,
    }


def _spreadsheet_safe(value: Union[str, int]) -> Union[str, int]:
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(out: IO[str], rows: Iterable[Row]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        record = as_record(row)
        record["Name"] = _spreadsheet_safe(record["Name"])
        writer.writerow([record[c] for c in COLUMNS])


def write_json(out: IO[str], rows: Iterable[Row]) -> None:
    """A JSON array of objects (same keys as the CSV header), streamed one object a line."""
    out.write("[")
    separator = "\n"
    for row in rows:
        out.write(separator + json.dumps(as_record(row), sort_keys=False))
        separator = ",\n"
    out.write("\n]\n")


def _md_cell(value: Union[str, int, float]) -> str:
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def write_markdown(out: IO[str], rows: Iterable[Row]) -> None:
    out.write("| " + " | ".join(COLUMNS) + " |\n")
    numeric = {"TotalDiskGiB", "EbsGiB", "InstanceStoreGB", "VolumeCount"}
    out.write("|" + "|".join("---:" if c in numeric else "---" for c in COLUMNS) + "|\n")
    for row in rows:
        record = as_record(row)
        out.write("| " + " | ".join(_md_cell(record[c]) for c in COLUMNS) + " |\n")


WRITERS: Dict[str, Callable[[IO[str], Iterable[Row]], None]] = {
    "csv": write_csv,
    "json": write_json,
    "markdown": write_markdown,
}


def default_output_path(scope: str, fmt: str, now: dt.datetime) -> str:
    """``ec2-audit-<scope>-<UTC timestamp>.<ext>`` in the current folder."""
    stamp = now.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"ec2-audit-{scope}-{stamp}.{EXTENSIONS[fmt]}"


def check_output_path(path: str) -> None:
    """Fail before a long scan if the report surely cannot be written there."""
    target = Path(path).absolute()
    folder = target.parent
    if target.is_dir():
        raise OutputError(
            f"cannot write the report to {path}: it is a folder; give --output a file name"
        )
    if not folder.is_dir():
        raise OutputError(
            f"cannot write the report to {path}: folder {folder} does not exist; create it or "
            "choose another --output"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(
            f"cannot write the report to {path}: folder {folder} is not writable; choose "
            "another --output"
        )


def _new_file_mode(existing: Path) -> int:
    # mkstemp creates 0600; give the report the mode an ordinary new file (or the old one) has.
    try:
        return existing.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def scopes_path(path: str) -> str:
    """The status file beside a report: ``fleet.csv`` -> ``fleet.scopes.csv``."""
    target = Path(path)
    return str(target.with_name(f"{target.stem}.scopes{target.suffix}"))


class ScopeStatus(NamedTuple):
    """One (account, region) of the audit and how it went; Region ``*`` is a whole account."""

    account_id: str
    region: str
    ok: bool
    instances: int
    seconds: float
    exit_code: int
    error: str


SCOPE_COLUMNS = ("AccountId", "Region", "Status", "Instances", "Seconds", "ExitCode", "Error")


def _scope_record(scope: ScopeStatus) -> Dict[str, Union[str, int, float]]:
    return {
        "AccountId": scope.account_id,
        "Region": scope.region,
        "Status": "ok" if scope.ok else "failed",
        "Instances": scope.instances,
        "Seconds": round(scope.seconds, 2),
        "ExitCode": scope.exit_code,
        "Error": scope.error,
    }


def write_scopes(out: IO[str], fmt: str, scopes: Sequence[ScopeStatus]) -> None:
    """The status file, in the report's own format."""
    records = [_scope_record(s) for s in scopes]
    if fmt == "json":
        json.dump(records, out, indent=1)
        out.write("\n")
    elif fmt == "markdown":
        out.write("| " + " | ".join(SCOPE_COLUMNS) + " |\n")
        out.write("|" + "|".join("---" for _ in SCOPE_COLUMNS) + "|\n")
        for record in records:
            out.write("| " + " | ".join(_md_cell(record[c]) for c in SCOPE_COLUMNS) + " |\n")
    else:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(SCOPE_COLUMNS)
        for record in records:
            writer.writerow([record[c] for c in SCOPE_COLUMNS])


def write_atomic(path: str, fmt: str, rows: Iterable[Row]) -> None:
    """Write the whole report to a temp file beside ``path``, fsync it, then rename it over."""
    write_all_atomic([(path, lambda out: WRITERS[fmt](out, rows))])


def write_report(path: str, fmt: str, rows: Iterable[Row], scopes: Sequence[ScopeStatus]) -> None:
    """The status file and the report, each complete before either is renamed into place.

    The status file is renamed first, so a report on disk always has its status file beside it.
    """
    write_all_atomic(
        [
            (scopes_path(path), lambda out: write_scopes(out, fmt, scopes)),
            (path, lambda out: WRITERS[fmt](out, rows)),
        ]
    )


def write_all_atomic(files: Sequence[Tuple[str, Callable[[IO[str]], None]]]) -> None:
    """Write each file to a temp file beside it and fsync it; then rename them all, in order.

    Any failure (or a signal) before the renames removes every temp file and leaves existing
    files untouched.
    """
    temps: List[Tuple[Path, Path, str]] = []
    try:
        for path, write in files:
            target = Path(path).absolute()
            temps.append((_write_temp(path, target, write), target, path))
        for tmp, target, _path in temps:
            tmp.chmod(_new_file_mode(target))
        for tmp, target, _path in temps:
            tmp.replace(target)
    except OSError as exc:
        for tmp, _target, _path in temps:
            _remove_quietly(tmp)
        raise OutputError(
            f"cannot write the report to {files[-1][0]}: {exc.strerror or exc}; the previous "
            "file (if any) is untouched"
        ) from exc
    except BaseException:
        for tmp, _target, _path in temps:
            _remove_quietly(tmp)
        raise


def _write_temp(path: str, target: Path, write: Callable[[IO[str]], None]) -> Path:
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=str(target.parent)
        )
    except OSError as exc:
        raise OutputError(
            f"cannot write the report to {path}: {exc.strerror}; choose another --output"
        ) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        _remove_quietly(tmp)
        raise
    return tmp


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def rows_in_order(per_scope: Dict[Tuple[str, str], List[Row]]) -> Iterable[Row]:
    """Rows sorted by account, region, then InstanceID (each scope's list is already sorted)."""
    for scope in sorted(per_scope):
        yield from per_scope[scope]
