#!/usr/bin/env python3
"""Write this server's IP address and hostname to files (run from cron every 15 minutes).

The IP comes from the EC2 instance metadata service (IMDSv2: a session token first, then the
metadata read) when the host is on EC2, otherwise from the primary interface (the source address
the kernel picks for the default route). The hostname is the kernel's hostname. Each file is
written atomically (temporary file in the same directory, fsync, rename), so a reader never sees
a half-written value.

The output directory must be a mounted filesystem other than the root one (the EBS volume):
``/example`` is mounted with ``nofail``, so after a boot without the volume (late attach,
detached, failed fsck) it is a plain directory on the root disk, and files written there would be
hidden later by the volume's mount. The script then writes nothing, logs why and exits 4.

Exit codes: 0 written, 1 a file could not be written, 2 bad arguments, 3 no IP address found,
4 the output directory is not a mounted volume. Failures go to stderr and to syslog (facility
user, tag ``host-identity``).

Usage::

    host_identity.py [--output-dir /example] [--imds-url http://169.254.169.254] [--timeout 1]
                     [--allow-unmounted] [--no-imds]

Runs on Python 3.8+ with the standard library only.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import syslog
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import List, Optional

EXIT_OK = 0
EXIT_WRITE_FAILED = 1
EXIT_USAGE = 2
EXIT_NO_ADDRESS = 3
EXIT_NOT_MOUNTED = 4

DEFAULT_IMDS_URL = "http://169.254.169.254"
TOKEN_PATH = "/latest/api/token"  # noqa: S105 (a URL path, not a secret)
LOCAL_IPV4_PATH = "/latest/meta-data/local-ipv4"
TOKEN_TTL_SECONDS = "60"  # noqa: S105 (a lifetime, not a secret)
# A TEST-NET-1 address: connecting a UDP socket to it sends nothing but makes the kernel choose
# the source address of the default route, which is the primary interface's address.
ROUTE_PROBE_ADDRESS = "192.0.2.1"
SYSLOG_TAG = "host-identity"


class IdentityError(Exception):
    """A failure the caller reports and turns into an exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def imds_local_ipv4(base_url: str, timeout: float) -> Optional[str]:
    """The instance's private IPv4 from IMDSv2, or None when there is no usable IMDS."""
    base = base_url.rstrip("/")
    # The URL is ours (default or --imds-url), so urllib's file: scheme is not a concern here.
    token_request = urllib.request.Request(  # noqa: S310
        base + TOKEN_PATH,
        method="PUT",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": TOKEN_TTL_SECONDS},
    )
    try:
        with urllib.request.urlopen(token_request, timeout=timeout) as response:  # noqa: S310
            token = response.read().decode("ascii").strip()
        ip_request = urllib.request.Request(  # noqa: S310
            base + LOCAL_IPV4_PATH, headers={"X-aws-ec2-metadata-token": token}
        )
        with urllib.request.urlopen(ip_request, timeout=timeout) as response:  # noqa: S310
            address = response.read().decode("ascii").strip()
    except (urllib.error.URLError, OSError, UnicodeDecodeError, ValueError):
        # Not on EC2, IMDS disabled, or the hop limit stops the token: use the fallback.
        return None
    return address if is_ipv4(address) else None


def primary_interface_ipv4() -> Optional[str]:
    """The source address of the default route, or None when the host has no route."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((ROUTE_PROBE_ADDRESS, 9))
            address = str(probe.getsockname()[0])
    except OSError:
        return None
    return address if is_ipv4(address) and address != "0.0.0.0" else None  # noqa: S104


def is_ipv4(value: str) -> bool:
    try:
        socket.inet_aton(value)
    except OSError:
        return False
    return value.count(".") == 3


def find_ip(imds_url: str, timeout: float, use_imds: bool = True) -> str:
    address = imds_local_ipv4(imds_url, timeout) if use_imds else None
    if address is None:
        address = primary_interface_ipv4()
    if address is None:
        raise IdentityError(
            "no IP address: instance metadata unreachable and no default route",
            EXIT_NO_ADDRESS,
        )
    return address


def check_mounted_volume(directory: Path) -> None:
    """Fail unless ``directory`` is the root of a mounted filesystem other than ``/``."""
    try:
        own_device = directory.stat().st_dev
        root_device = Path("/").stat().st_dev
    except OSError as exc:
        raise IdentityError(f"cannot check {directory}: {exc.strerror}", EXIT_WRITE_FAILED) from exc
    if not os.path.ismount(str(directory)) or own_device == root_device:
        raise IdentityError(
            f"refusing to write: {directory} is not a mounted volume (it is on the root "
            "filesystem); is the EBS volume attached and mounted?",
            EXIT_NOT_MOUNTED,
        )


def write_atomically(path: Path, content: str) -> None:
    """Replace ``path`` with ``content`` so readers see the old or the new file, never a part."""
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    except OSError as exc:
        raise IdentityError(f"cannot write {path}: {exc.strerror}", EXIT_WRITE_FAILED) from exc
    tmp_path = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        tmp_path.chmod(0o644)
        tmp_path.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise IdentityError(f"cannot write {path}: {exc.strerror}", EXIT_WRITE_FAILED) from exc


def report_failure(message: str) -> None:
    print(f"{SYSLOG_TAG}: error: {message}", file=sys.stderr)
    try:
        syslog.openlog(SYSLOG_TAG, syslog.LOG_PID, syslog.LOG_USER)
        syslog.syslog(syslog.LOG_ERR, message)
    except OSError:
        # No syslog socket (e.g. a minimal container): stderr already has the message.
        pass


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="host_identity.py",
        description="Write the server's IP to ip.txt and its hostname to hostname.txt.",
    )
    parser.add_argument(
        "--output-dir", default="/example", help="directory for the files (default: /example)"
    )
    parser.add_argument(
        "--imds-url",
        default=DEFAULT_IMDS_URL,
        help=f"instance metadata service base URL (default: {DEFAULT_IMDS_URL})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1.0,
        help="seconds to wait for each metadata request before falling back (default: 1)",
    )
    parser.add_argument(
        "--no-imds", action="store_true", help="skip instance metadata; use the primary interface"
    )
    parser.add_argument(
        "--allow-unmounted",
        action="store_true",
        help="write even when the output directory is not a mounted volume (default: exit 4)",
    )
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    output_dir = Path(args.output_dir)
    try:
        if not args.allow_unmounted:
            check_mounted_volume(output_dir)
        address = find_ip(args.imds_url, args.timeout, use_imds=not args.no_imds)
        hostname = socket.gethostname()
        write_atomically(output_dir / "ip.txt", address + "\n")
        write_atomically(output_dir / "hostname.txt", hostname + "\n")
    except IdentityError as exc:
        report_failure(str(exc))
        return exc.exit_code
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
