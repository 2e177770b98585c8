"""Render the architecture diagrams (AWS icons) from code.

Each diagram is built with the `diagrams` package, turned into Graphviz dot source, and rendered
by the `dot` binary. Two files per diagram land in the output directory:

- ``<name>.dot``: the dot source with the icon directory replaced by ``{icons}``, so it is the
  same on every machine. This is what ``--check`` compares: Graphviz versions render the same
  source to slightly different PNG bytes, the source itself does not drift.
- ``<name>.png``: the picture, with the SHA-256 of the ``.dot`` stamped into a PNG ``tEXt``
  chunk. ``--check`` reads the stamp, so a PNG rendered from an older source is caught without
  re-rendering.

Example:
    python architecture/diagrams/generate.py                # write architecture/img/*.{dot,png}
    python architecture/diagrams/generate.py --out /tmp/img
    python architecture/diagrams/generate.py --check        # exit 1 if committed files are stale

Exit codes: 0 ok, 1 committed files stale or missing (--check), 2 bad usage, 3 rendering failed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import diagrams
from diagrams import Cluster, Diagram, Edge, setdiagram
from diagrams.aws.compute import ECR, ElasticContainerServiceService, Fargate
from diagrams.aws.database import RDS, Aurora, AuroraInstance, Dynamodb, ElastiCache
from diagrams.aws.general import InternetAlt1, Users
from diagrams.aws.integration import SQS, Eventbridge
from diagrams.aws.management import Cloudwatch, TrustedAdvisorChecklistFaultTolerant
from diagrams.aws.network import ALB, CloudFront, Endpoint, InternetGateway, NATGateway, Route53
from diagrams.aws.security import KMS, WAF, SecretsManager, Shield
from diagrams.aws.storage import S3, Backup
from diagrams.generic.blank import Blank

EXIT_STALE = 1
EXIT_USAGE = 2
EXIT_RENDER = 3

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "img"
# The icons ship inside the installed package; their absolute path differs per machine.
ICON_DIR = str(Path(diagrams.__file__).resolve().parent.parent / "resources")
ICON_TOKEN = "{icons}"  # noqa: S105 (a placeholder, not a secret)
STAMP_KEY = "Source-SHA256"
RENDERER_KEY = "Renderer"

# Edge colours carry meaning in both diagrams (the README legend repeats them).
USER_TRAFFIC = "#1A73E8"
DATA_ACCESS = "#2D3436"
ASYNC = "#8E44AD"
REPLICATION = "#C0392B"
CONTROL = "#7B8894"
# The API service's cluster: edges of the service as a whole start here (Graphviz ltail).
API_SERVICE = "ECS service: api (Fargate, spread over 3 AZ)"


class RenderError(Exception):
    """Graphviz is missing or refused the source."""


class _Canvas(Diagram):
    """A Diagram that only builds the graph: rendering is done here, not in the package.

    The package renders in ``__exit__`` into the current directory and names nodes with random
    UUIDs; both would make the output depend on where and when it ran.
    """

    def __init__(self, title: str) -> None:
        super().__init__(
            title,
            filename="unused",
            direction="LR",
            show=False,
            graph_attr={
                "fontsize": "22",
                "pad": "0.5",
                "nodesep": "0.45",
                "ranksep": "1.0",
                # Ortho splines put edge labels far from their edges; plain splines keep them close.
                "splines": "spline",
            },
            node_attr={"fontsize": "12"},
        )

    def __exit__(self, *exc: object) -> None:
        setdiagram(None)


def _edge(label: str = "", color: str = DATA_ACCESS, style: str = "", **attrs: str) -> Edge:
    return Edge(label=label, color=color, fontcolor=color, style=style, **attrs)


def _node(cls: Callable[..., object], label: str, nodeid: str) -> object:
    # Fixed ids keep the dot source stable from run to run.
    return cls(label, nodeid=nodeid)


# --------------------------------------------------------------------------------------------
# Diagrams
# --------------------------------------------------------------------------------------------


def legend(extra: Optional[List[Tuple[str, str, str]]] = None) -> None:
    """A legend drawn on the image: one short edge per meaning, in the diagram's own colours."""
    meanings = [
        ("user traffic", USER_TRAFFIC, ""),
        ("data access", DATA_ACCESS, ""),
        ("asynchronous work", ASYNC, ""),
        ("control or egress", CONTROL, "dashed"),
        *(extra or []),
    ]
    with Cluster("Legend", graph_attr={"fontsize": "14", "bgcolor": "white"}):
        for index, (label, color, style) in enumerate(meanings):
            left = Blank("", nodeid=f"legend_{index}_from", width="0.1", height="0.1")
            right = Blank("", nodeid=f"legend_{index}_to", width="0.1", height="0.1")
            left >> _edge(label, color, style) >> right


def build_main() -> str:
    """One region of the three-tier application: presentation, application and data tiers.

    Edges that belong to the API service as a whole start at the service's cluster (Graphviz
    `ltail`), not at one AZ's task, so the picture says what the text says: every task in every
    AZ talks to every dependency.
    """
    with _Canvas("Three-tier application on AWS: one region (us-east-1, active)") as canvas:
        canvas.dot.graph_attr["compound"] = "true"
        users = _node(Users, "Users\n(browser, mobile)", "users")
        vendors = _node(InternetAlt1, "Third-party APIs\n(DNS Firewall allowlist)", "third_party")
        with Cluster("Presentation tier (global edge)"):
            dns = _node(Route53, "Route 53\nexample.com", "route53")
            waf = _node(WAF, "AWS WAF\nmanaged + rate rules", "waf")
            shield = _node(Shield, "Shield Advanced", "shield")
            cdn = _node(CloudFront, "CloudFront\nTLS 1.2+, HTTP/2+3", "cloudfront")
            static = _node(S3, "S3 static assets\n(OAC, versioned)", "s3_static")
        with Cluster("Region us-east-1, VPC 10.10.0.0/16, 3 AZ"):
            igw = _node(InternetGateway, "Internet gateway", "igw")
            with Cluster("Public subnets /24 x3"):
                alb = _node(ALB, "ALB\n(CloudFront origin\nprefix list only)", "alb")
                nat = _node(NATGateway, "NAT GW\n1 per AZ", "nat")
            with Cluster("Application tier: private app subnets /20 x3"):
                tasks: Dict[str, object] = {}
                with Cluster(API_SERVICE):
                    # Created c, b, a: Graphviz stacks the first-created lowest in an LR layout.
                    for az in ("c", "b", "a"):
                        with Cluster(f"AZ us-east-1{az}"):
                            tasks[az] = _node(
                                Fargate, "API tasks (ECS)\n2-20, 5 at peak", f"api_{az}"
                            )
                with Cluster("Async work (regional)"):
                    relay = _node(
                        ElasticContainerServiceService, "Outbox relay\n(ECS task)", "outbox_relay"
                    )
                    bus = _node(Eventbridge, "EventBridge\ndomain events", "eventbridge")
                    queue = _node(SQS, "SQS queue\n+ DLQ", "sqs")
                    workers = _node(
                        ElasticContainerServiceService, "ECS Fargate\nworkers (3 AZ)", "workers"
                    )
            with Cluster("Data tier: private data subnets /24 x3"):
                proxy = _node(RDS, "RDS Proxy\n(pooling, IAM auth)", "rds_proxy")
                with Cluster("Aurora PostgreSQL (shared storage: 6 copies, 3 AZ)"):
                    reader_c = _node(AuroraInstance, "reader\nAZ c", "aurora_reader_c")
                    reader_b = _node(AuroraInstance, "reader\nAZ b", "aurora_reader_b")
                    writer = _node(AuroraInstance, "writer\nAZ a\n(data + outbox)", "aurora_writer")
                cache = _node(
                    ElastiCache, "ElastiCache Valkey\n3 shards x 2 nodes\n(multi-AZ)", "elasticache"
                )
            with Cluster("VPC endpoints (private subnets /24 x3)"):
                gateway_endpoints = _node(
                    Endpoint, "Gateway endpoints\nS3, DynamoDB", "gateway_endpoints"
                )
                interface_endpoints = _node(
                    Endpoint,
                    "Interface endpoints\nECR, Logs, Secrets,\nKMS, SQS, EventBridge, STS",
                    "interface_endpoints",
                )
            with Cluster("Data tier: regional"):
                ddb = _node(Dynamodb, "DynamoDB\nsessions, idempotency", "dynamodb")
                uploads = _node(S3, "S3 user uploads", "s3_uploads")
            with Cluster("Used by every tier"):
                secrets = _node(SecretsManager, "Secrets Manager", "secrets")
                kms = _node(KMS, "KMS customer-managed keys", "kms")
                watch = _node(Cloudwatch, "CloudWatch\nmetrics, logs, traces", "cloudwatch")
        legend()

        service = {"ltail": f"cluster_{API_SERVICE}"}
        anchor = tasks["b"]
        users >> _edge("DNS", USER_TRAFFIC) >> dns
        users >> _edge("HTTPS", USER_TRAFFIC) >> cdn
        users >> _edge("presigned PUT/GET", USER_TRAFFIC) >> uploads
        waf >> _edge("inspects", CONTROL, "dashed") >> cdn
        shield >> _edge("protects", CONTROL, "dashed") >> cdn
        cdn >> _edge("/static/*", USER_TRAFFIC) >> static
        cdn >> _edge("/api/* HTTPS", USER_TRAFFIC) >> igw
        igw >> _edge(color=USER_TRAFFIC) >> alb
        for task in (tasks["a"], tasks["b"], tasks["c"]):
            alb >> _edge(color=USER_TRAFFIC) >> task
        anchor >> _edge(":5432 TLS", **service) >> proxy
        anchor >> _edge("cache-aside :6379 TLS", **service) >> cache
        anchor >> _edge("sessions, idempotency", **service) >> gateway_endpoints
        anchor >> _edge("presigns URLs", CONTROL, "dashed", **service) >> uploads
        anchor >> _edge("AWS APIs", CONTROL, "dashed", **service) >> interface_endpoints
        anchor >> _edge("egress", CONTROL, "dashed", **service) >> nat
        gateway_endpoints >> _edge() >> ddb
        interface_endpoints >> _edge(color=CONTROL, style="dashed") >> [secrets, kms, watch]
        nat >> _edge("HTTPS", CONTROL, "dashed") >> vendors
        proxy >> _edge("writes :5432 TLS") >> writer
        proxy >> _edge("reads") >> [reader_b, reader_c]
        writer >> _edge("outbox rows", ASYNC) >> relay
        relay >> _edge("PutEvents", ASYNC) >> bus
        bus >> _edge("rule", ASYNC) >> queue
        queue >> _edge("long poll", ASYNC) >> workers
        workers >> _edge() >> proxy
        workers >> _edge("dedupe") >> gateway_endpoints
        workers >> _edge("egress", CONTROL, "dashed") >> nat
        return str(canvas.dot.source)


def build_multi_region() -> str:
    """Warm standby: the second region runs small and takes over with one switch.

    Laid out as a mirror (users, edge, active app, active data | standby data, standby app) so
    every replication edge runs straight across between the two data columns.
    """
    with _Canvas("Multi-region: warm standby (us-east-1 active, us-west-2 standby)") as canvas:
        users = _node(Users, "Users", "users")
        with Cluster("Global"):
            cdn = _node(CloudFront, "CloudFront + WAF\n+ Shield Advanced", "cloudfront")
            dns = _node(Route53, "Route 53 failover record\norigin.example.com", "route53_failover")
            arc = _node(
                Route53,
                "ARC routing controls\n(5-region data plane)\n+ Region switch plan",
                "arc",
            )
        with Cluster("us-east-1: ACTIVE (100% of traffic)"):
            alb_p = _node(ALB, "ALB", "alb_primary")
            ecs_p = _node(Fargate, "ECS Fargate\n6-60 API tasks", "ecs_primary")
            with Cluster("Data (primary copies)"):
                proxy_p = _node(RDS, "RDS Proxy", "rds_proxy_primary")
                aurora_p = _node(Aurora, "Aurora Global DB\nprimary: writer + 2", "aurora_primary")
                cache_p = _node(
                    ElastiCache, "Valkey Global Datastore\nprimary: 3 shards x 2", "cache_primary"
                )
                ddb_p = _node(Dynamodb, "DynamoDB\nglobal table", "ddb_primary")
                s3_p = _node(S3, "S3 uploads", "s3_primary")
                static_p = _node(S3, "S3 static assets", "s3_static_primary")
                ecr_p = _node(ECR, "ECR images", "ecr_primary")
        with Cluster("us-west-2: WARM STANDBY (synthetic traffic only)"):
            with Cluster("Data (replicas)"):
                aurora_s = _node(
                    Aurora, "Aurora Global DB\nsecondary: 2 instances", "aurora_standby"
                )
                proxy_s = _node(RDS, "RDS Proxy\n(pre-created)", "rds_proxy_standby")
                cache_s = _node(
                    ElastiCache,
                    "Valkey Global Datastore\nsecondary: 3 shards x 2",
                    "cache_standby",
                )
                ddb_s = _node(Dynamodb, "DynamoDB\nreplica table", "ddb_standby")
                s3_s = _node(S3, "S3 uploads\nreplica", "s3_standby")
                static_s = _node(S3, "S3 static assets\nreplica", "s3_static_standby")
                ecr_s = _node(ECR, "ECR replica", "ecr_standby")
            ecs_s = _node(Fargate, "ECS Fargate\n3 tasks\n(scales to 15)", "ecs_standby")
            alb_s = _node(ALB, "ALB", "alb_standby")
        # Tooling acts on both regions; edges to every target would tangle the picture, so
        # the labels say what each one does instead.
        with Cluster("Resilience tooling (both regions)"):
            fis = _node(
                TrustedAdvisorChecklistFaultTolerant,
                "AWS FIS\nAZ + region experiments",
                "fis",
            )
            canary = _node(Cloudwatch, "Synthetics canaries\nprobe both ALBs / 1 min", "canaries")
            vault = _node(Backup, "AWS Backup\nsnapshot copies to\nbackup account", "backup_vault")
        legend([("replication", REPLICATION, "")])

        users >> _edge("HTTPS", USER_TRAFFIC) >> cdn
        cdn >> _edge("API origin", USER_TRAFFIC) >> dns
        cdn >> _edge("origin group: primary", USER_TRAFFIC) >> static_p
        (
            cdn
            >> _edge("origin group: failover\non 5xx, per request", USER_TRAFFIC, "dashed")
            >> static_s
        )
        arc >> _edge("routing control\nhealth checks", CONTROL, "dashed") >> dns
        dns >> _edge("PRIMARY", USER_TRAFFIC) >> alb_p
        alb_p >> _edge(color=USER_TRAFFIC) >> ecs_p
        ecs_p >> _edge() >> [proxy_p, cache_p, ddb_p, s3_p]
        proxy_p >> _edge() >> aurora_p
        aurora_p >> _edge("storage replication\nlag < 1 s", REPLICATION) >> aurora_s
        cache_p >> _edge("Global Datastore\nasync, < 1 s", REPLICATION) >> cache_s
        ddb_p - _edge("global tables\nmulti-active, ~1 s", REPLICATION) - ddb_s
        s3_p >> _edge("CRR + RTC\n99.99% < 15 min", REPLICATION) >> s3_s
        static_p >> _edge("CI deploys\nto both", CONTROL, "dashed") >> static_s
        ecr_p >> _edge("registry replication", REPLICATION) >> ecr_s
        # The standby column mirrors the active one: edges written data -> app with dir=back,
        # so ranks run left to right while the arrows still point from app to data.
        aurora_s << _edge(style="dashed") << proxy_s
        for store in (proxy_s, cache_s, ddb_s, s3_s):
            store << _edge(style="dashed") << ecs_s
        ecs_s << _edge(color=USER_TRAFFIC, style="dashed") << alb_s
        (
            dns
            >> _edge("SECONDARY (after the switch)", USER_TRAFFIC, "dashed", constraint="false")
            >> alb_s
        )
        users >> Edge(style="invis") >> [fis, canary, vault]
        return str(canvas.dot.source)


DIAGRAMS: Dict[str, Callable[[], str]] = {
    "main": build_main,
    "multi-region": build_multi_region,
}


# --------------------------------------------------------------------------------------------
# Source normalisation, rendering and the PNG stamp
# --------------------------------------------------------------------------------------------


def portable_source(source: str) -> str:
    """Dot source with machine-specific icon paths replaced by a token."""
    return source.replace(ICON_DIR, ICON_TOKEN)


def source_digest(portable: str) -> str:
    return hashlib.sha256(portable.encode("utf-8")).hexdigest()


def dot_version(dot: str) -> str:
    # `dot -V` prints "dot - graphviz version 2.43.0 (0)" on stderr.
    out = subprocess.run([dot, "-V"], capture_output=True, text=True, check=False)
    return (out.stderr or out.stdout).strip()


def render_png(portable: str, dot: Optional[str] = None) -> bytes:
    """Render portable dot source to PNG bytes stamped with its digest and the renderer."""
    dot = dot or shutil.which("dot")
    if dot is None:
        raise RenderError("Graphviz 'dot' is not installed (Debian: apt-get install graphviz)")
    real = portable.replace(ICON_TOKEN, ICON_DIR)
    proc = subprocess.run([dot, "-Tpng"], input=real.encode("utf-8"), capture_output=True)
    if proc.returncode != 0 or not proc.stdout.startswith(PNG_SIGNATURE):
        raise RenderError(f"dot failed (exit {proc.returncode}): {proc.stderr.decode().strip()}")
    stamps = {STAMP_KEY: source_digest(portable), RENDERER_KEY: dot_version(dot)}
    return png_with_text(proc.stdout, stamps)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_with_text(png: bytes, texts: Dict[str, str]) -> bytes:
    """Insert tEXt chunks right after IHDR (always the first chunk, 13 data bytes)."""
    ihdr_end = len(PNG_SIGNATURE) + 8 + 13 + 4
    extra = b"".join(
        _chunk(b"tEXt", key.encode("latin-1") + b"\0" + value.encode("latin-1"))
        for key, value in sorted(texts.items())
    )
    return png[:ihdr_end] + extra + png[ihdr_end:]


def png_text(png: bytes) -> Dict[str, str]:
    """The tEXt chunks of a PNG as a dict (empty if the file is not a PNG)."""
    if not png.startswith(PNG_SIGNATURE):
        return {}
    texts: Dict[str, str] = {}
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        data = png[pos + 8 : pos + 8 + length]
        if kind == b"tEXt" and b"\0" in data:
            key, value = data.split(b"\0", 1)
            texts[key.decode("latin-1")] = value.decode("latin-1")
        if kind == b"IEND":
            break
        pos += 12 + length
    return texts


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


def generate(out: Path) -> List[Path]:
    written: List[Path] = []
    for name, build in DIAGRAMS.items():
        portable = portable_source(build())
        png = render_png(portable)
        for path, data in ((out / f"{name}.dot", portable.encode()), (out / f"{name}.png", png)):
            write_atomic(path, data)
            written.append(path)
    return written


def check(out: Path) -> List[str]:
    """Problems with the committed files in ``out`` (empty list: they match the source)."""
    problems: List[str] = []
    for name, build in DIAGRAMS.items():
        portable = portable_source(build())
        dot_path, png_path = out / f"{name}.dot", out / f"{name}.png"
        if not dot_path.is_file():
            problems.append(f"{dot_path}: missing")
        elif dot_path.read_text(encoding="utf-8") != portable:
            problems.append(f"{dot_path}: differs from what generate.py builds now")
        if not png_path.is_file():
            problems.append(f"{png_path}: missing")
        elif png_text(png_path.read_bytes()).get(STAMP_KEY) != source_digest(portable):
            problems.append(f"{png_path}: rendered from another source (stamp mismatch)")
    return problems


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the .dot/.png files in --out do not match the source",
    )
    args = parser.parse_args(argv)
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} is not a directory")  # exits 2
    if args.check:
        problems = check(args.out)
        for problem in problems:
            print(f"stale: {problem}", file=sys.stderr)
        if problems:
            print("run `make -C architecture diagrams` and commit the result", file=sys.stderr)
            return EXIT_STALE
        print(f"ok: {len(DIAGRAMS)} diagrams in {args.out} match the source")
        return 0
    try:
        written = generate(args.out)
    except RenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_RENDER
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
