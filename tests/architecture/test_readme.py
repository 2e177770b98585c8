"""The architecture README stands on its own: sections, images, links, arithmetic that adds up."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

ARCH = Path(__file__).resolve().parents[2] / "architecture"
README = ARCH / "README.md"

# Top-level sections in reading order (the list, plus STYLE.md section 6).
REQUIRED_H2 = [
    "Problem",
    "Aims",
    "Design load",
    "Presentation tier",
    "Application tier",
    "Data tier",
    "Multi-region",
    "Capacity and scaling",
    "Security",
    "Operations",
    "Failure modes",
    "Monthly cost",
    "Well-Architected mapping",
    "How do I",
    "Notes and references",
    "Contributing",
    "License",
]
REQUIRED_SUBSECTIONS = [
    "Traffic switch: Route 53 and Application Recovery Controller",
    "Data replication",
    "RTO and RPO per tier",
    "Failover exercises",
    "Application tasks",
    "Cache",
    "Database",
    "Connections through RDS Proxy",
    "Where the next bottleneck is",
    "Network plan",
    "Identity and access (IAM)",
    "Keys, secrets and encryption",
    "Detection and audit",
    "Observability",
    "CI/CD and deployment safety",
    "Backup and restore tests",
    "Levers",
]
FAILURE_COLUMNS = [
    "Component",
    "Failure",
    "Detection",
    "Automatic response",
    "Blast radius",
    "Recovery time",
]


@pytest.fixture(scope="module")
def text() -> str:
    return README.read_text(encoding="utf-8")


def headings(text: str) -> List[Tuple[int, str]]:
    out = []
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        match = re.match(r"^(#{1,6}) (.+?)\s*$", line)
        if match and not in_code:
            out.append((len(match.group(1)), match.group(2)))
    return out


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def section(text: str, title: str) -> str:
    """The text under the heading that starts with ``title``, up to the next heading."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if re.match(rf"^#+ {re.escape(title)}", line):
            body = []
            for following in lines[index + 1 :]:
                if following.startswith("#"):
                    break
                body.append(following)
            return "\n".join(body)
    raise AssertionError(f"no heading starting with {title!r}")


def table(block: str) -> List[Dict[str, str]]:
    """The first Markdown table in ``block`` as a list of {header: cell} rows."""
    rows: List[str] = []
    for line in block.splitlines():
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            break  # the first table ends at its first non-table line
    assert len(rows) >= 3, "no table found"

    def cells(row: str) -> List[str]:
        return [cell.strip() for cell in row.strip().strip("|").split("|")]

    header = cells(rows[0])
    assert set(rows[1].replace("|", "").strip()) <= set("-: "), "second row is not a separator"
    return [dict(zip(header, cells(row))) for row in rows[2:]]


def number(cell: str) -> int:
    return int(cell.replace("*", "").replace(",", "").replace("$", ""))


# --- structure ------------------------------------------------------------------------------


def test_title_status_and_date_come_first(text: str) -> None:
    lines = text.splitlines()
    assert lines[0].startswith("# ")
    assert re.search(r"\*\*Status:\*\* \w+", text.split("\n## ")[0])
    assert re.search(r"\*\*Date:\*\* \d{4}-\d{2}-\d{2}", text.split("\n## ")[0])


def test_summary_and_main_diagram_precede_the_first_section(text: str) -> None:
    preamble = text.split("\n## ")[0]
    assert "![" in preamble and "(img/main.png)" in preamble
    # The one-paragraph summary names the three tiers and the regional strategy.
    for term in ("presentation tier", "application tier", "data tier", "warm standby"):
        assert term in preamble.lower(), term


def test_required_sections_exist_in_order(text: str) -> None:
    h2 = [title for level, title in headings(text) if level == 2]
    positions = []
    for required in REQUIRED_H2:
        found = [i for i, title in enumerate(h2) if title.startswith(required)]
        assert found, f"missing section '## {required}'"
        positions.append(found[0])
    assert positions == sorted(positions), "sections are out of the required order"


def test_required_subsections_exist(text: str) -> None:
    titles = {title for level, title in headings(text) if level >= 3}
    missing = [s for s in REQUIRED_SUBSECTIONS if not any(t.startswith(s) for t in titles)]
    assert not missing, missing


def test_how_do_i_has_numbered_steps_for_each_task(text: str) -> None:
    tasks = [
        title for level, title in headings(text) if level == 3 and title.startswith("How do I")
    ]
    assert len(tasks) >= 5
    for task in tasks:
        assert re.search(r"^1\. ", section(text, task), re.M), f"{task!r} has no numbered steps"


def test_failure_mode_table_has_the_required_columns(text: str) -> None:
    rows = table(section(text, "Failure modes"))
    assert list(rows[0]) == FAILURE_COLUMNS
    assert len(rows) >= 12
    assert all(all(row[column] for column in FAILURE_COLUMNS) for row in rows), "empty cell"
    components = " ".join(row["Component"] for row in rows).lower()
    for must in ("availability zone", "region", "aurora", "elasticache", "deployment"):
        assert must in components, must


def test_multi_region_strategy_is_chosen_and_justified(text: str) -> None:
    block = section(text, "Multi-region")
    assert "**Strategy: warm standby**" in block
    assert "active-active" in block.lower()  # the rejected alternative is discussed
    for topic in ("Aurora Global Database", "DynamoDB", "Cross-Region Replication", "ARC"):
        assert topic in text, topic
    assert "AWS FIS" in section(text, "Failover exercises") or "FIS" in text


# --- images and links -----------------------------------------------------------------------


def test_readme_links_every_image_and_every_image_exists(text: str) -> None:
    linked = set(re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text))
    committed = {f"img/{path.name}" for path in (ARCH / "img").glob("*.png")}
    assert committed, "no committed images"
    assert linked == committed, f"linked {sorted(linked)} vs committed {sorted(committed)}"
    for link in linked:
        assert (ARCH / link).is_file(), link


def test_internal_anchors_resolve(text: str) -> None:
    anchors = {slug(title) for _, title in headings(text)}
    broken = [a for a in re.findall(r"\]\(#([^)]+)\)", text) if a not in anchors]
    assert not broken, broken


def test_relative_links_inside_the_section_exist(text: str) -> None:
    for target in re.findall(r"\]\(([^)#:]+)\)", text):
        if target.startswith("../"):
            continue  # other sections are owned elsewhere
        assert (ARCH / target).exists(), target


def test_observability_points_at_the_monitoring_section(text: str) -> None:
    assert "(../monitoring/README.md)" in section(text, "Observability")


# --- arithmetic -----------------------------------------------------------------------------


def test_network_plan_adds_up(text: str) -> None:
    block = section(text, "Network plan")
    vpc = ipaddress.ip_network(re.findall(r"VPC `([\d./]+)`", block)[0])
    rows = table(block)
    networks = []
    for row in rows:
        net = ipaddress.ip_network(row["CIDR"])
        assert net.subnet_of(vpc), f"{net} outside {vpc}"  # type: ignore[arg-type]
        networks.append(net)
        if row["Usable IPs"] != "-":
            # AWS reserves the first four addresses and the last one in every subnet.
            assert number(row["Usable IPs"]) == net.num_addresses - 5, row["Subnet"]
    for i, first in enumerate(networks):
        for second in networks[i + 1 :]:
            assert not first.overlaps(second), f"{first} overlaps {second}"
    for tier in ("public", "app", "data"):
        azs = {row["AZ"] for row in rows if row["Subnet"].startswith(f"{tier}-")}
        assert len(azs) == 3, f"{tier} subnets are not in three AZs: {azs}"


def test_cost_table_sums_to_its_total(text: str) -> None:
    rows = table(section(text, "Monthly cost"))
    items = {int(row["#"]): number(row["USD/month"]) for row in rows if row["#"]}
    total = [row for row in rows if "Total" in row["Item"]]
    assert len(total) == 1
    assert sum(items.values()) == number(total[0]["USD/month"])
    assert sorted(items) == list(range(1, len(items) + 1)), "items are not numbered 1..n"


def test_cost_subtotals_and_summary_match_the_table(text: str) -> None:
    rows = table(section(text, "Monthly cost"))
    items = {int(row["#"]): number(row["USD/month"]) for row in rows if row["#"]}
    total = sum(items.values())
    subtotals = re.findall(r"\((?:items )?(\d+)-(\d+)\) (?:is )?\$([\d,]+)", text)
    assert len(subtotals) >= 3
    for first, last, stated in subtotals:
        span = range(int(first), int(last) + 1)
        assert sum(items[i] for i in span) == number(stated), f"items {first}-{last}"
    summary = text.split("\n## ")[0]
    stated_total = number(re.findall(r"\$([\d,]+) a month", summary)[0])
    assert abs(stated_total - total) <= 0.01 * total, (stated_total, total)


# --- cost lines recomputed from the unit prices and quantities the text states ---------------

HOURS = 730
X = "\u00d7"  # the multiplication sign the README uses


def grab(pattern: str, text: str, flags: int = 0) -> str:
    match = re.search(pattern, text, flags)
    assert match, f"not found in the README: {pattern!r}"
    return match.group(1)


def unit_price(text: str, pattern: str) -> float:
    """A unit price from the 'Unit prices used' paragraph, e.g. '`db.r7g.2xlarge`\\n$1.106/hour'."""
    prices = " ".join(
        section(text, "Monthly cost").split("Unit prices used:")[1].split("\n\n")[0].split()
    )
    match = re.search(pattern + r" \$([\d.]+)", prices)
    assert match, f"no unit price for {pattern!r}"
    return float(match.group(1))


def cost_rows(text: str) -> Dict[int, Dict[str, str]]:
    return {int(row["#"]): row for row in table(section(text, "Monthly cost")) if row["#"]}


def standby_instances(text: str) -> int:
    block = section(text, "Multi-region")
    words = {"one": 1, "two": 2, "three": 3}
    match = re.search(r"secondary cluster with (\w+)\s+`db\.r7g\.2xlarge` instances?", block)
    assert match, "the standby's Aurora instances are not stated"
    return words[match.group(1)]


def test_aurora_instances_line_matches_primary_plus_standby(text: str) -> None:
    row = cost_rows(text)[9]
    count = int(grab(rf"(\d+) {X} `db\.r7g\.2xlarge`", row["How it is computed"]))
    assert count == 3 + standby_instances(text), "writer + 2 readers + the standby's instances"
    price = unit_price(text, r"Aurora `db\.r7g\.2xlarge`")
    assert number(row["USD/month"]) == round(count * price * HOURS)


def test_rds_proxy_line_counts_the_vcpus_of_every_instance(text: str) -> None:
    row = cost_rows(text)[11]
    primary, standby = map(
        int, re.findall(r"\((\d+) \+ (\d+)\) vCPU", row["How it is computed"])[0]
    )
    assert primary == 3 * 8 and standby == standby_instances(text) * 8, "8 vCPU per 2xlarge"
    price = unit_price(text, r"RDS Proxy")
    assert number(row["USD/month"]) == round((primary + standby) * price * HOURS)


def test_global_datastore_secondary_is_valid_and_priced(text: str) -> None:
    # A secondary inherits Multi-AZ/automatic failover, which needs a replica in every shard.
    standby = re.search(rf"Global Datastore secondary \((\d+) shards {X}\s+(\d+) nodes", text)
    assert standby, "the standby cache shape is not stated"
    shards, per_shard = map(int, standby.groups())
    assert per_shard >= 2, "a Global Datastore secondary needs a primary and a replica per shard"
    row = cost_rows(text)[12]
    nodes = int(grab(rf"(\d+) {X} `cache\.r7g\.large`", row["How it is computed"]))
    assert nodes == 3 * 2 + shards * per_shard, f"primary 3 {X} 2 plus the secondary"
    node_cost = round(nodes * unit_price(text, r"`cache\.r7g\.large` for Valkey") * HOURS)
    transfer = number(re.findall(r"= \$([\d,]+)$", row["How it is computed"])[0])
    assert number(row["USD/month"]) == node_cost + transfer


def test_standby_subtotal_adds_up(text: str) -> None:
    summary = re.search(
        r"standby region costs about \$([\d,]+) \((\d+)%\)\*\*: (.+?)\.\n\n", text, re.S
    )
    assert summary, "the standby subtotal sentence is missing"
    stated, percent, parts = number(summary.group(1)), int(summary.group(2)), summary.group(3)
    assert sum(number(p) for p in re.findall(r"\$([\d,]+)", parts)) == stated
    total = sum(number(row["USD/month"]) for row in cost_rows(text).values())
    assert round(100 * stated / total) == percent


def test_cold_cache_failover_fits_the_standby(text: str) -> None:
    """The design sizes the standby for a cold cache; recompute that from the Database section."""
    db = section(text, "Database")
    reads_cold = float(grab(rf"readers get 3,600 {X} 3 = 10,800\s+queries/s = ([\d.]+) vCPU", db))
    writes = float(grab(r"that is ([\d.]+) vCPU-seconds per second", db))
    capacity = standby_instances(text) * 8
    load = (reads_cold + writes) / capacity
    assert load < 0.85, f"a cold-cache failover would run the standby at {load:.0%}"
    stated = re.search(
        r"= ([\d.]+) of (\d+) vCPU \(\*\*(\d+)%\*\*\)", section(text, "Multi-region")
    )
    assert stated, "the cold-cache arithmetic is not stated"
    assert float(stated.group(1)) == pytest.approx(reads_cold + writes)
    assert int(stated.group(2)) == capacity
    assert int(stated.group(3)) == round(100 * load)


def test_lambda_comparison_uses_tiered_api_gateway_prices(text: str) -> None:
    row = next(
        r
        for r in table(section(text, "Application tier").split("Why ECS on Fargate:")[1])
        if r["Option"].startswith("Lambda")
    )
    first, rest = 300, 3154 - 300  # millions of requests a month (3.15 billion)
    api = first * 1.00 + rest * 0.90
    assert f"${round(api):,}" in row["Reasoning"]
    parts = [number(p) for p in re.findall(r"= \$([\d,]+)", row["Reasoning"])]
    total = number(grab(r"about \$([\d,]+)/month", row["Reasoning"]))
    assert abs(sum(parts) - total) <= 50, (parts, total)


def test_log_cost_uses_the_monitoring_sections_log_lines(text: str) -> None:
    """Item 18 prices the log lines the monitoring section specifies (its JSON examples)."""
    row = cost_rows(text)[18]["How it is computed"]
    transaction, dependency, per_request = (
        int(grab(r"`transaction` line \((\d+) bytes", row)),
        int(grab(r"`dependency_call` lines \((\d+) bytes", row)),
        int(grab(r"per request = ([\d,]+) bytes", row).replace(",", "")),
    )
    assert per_request == transaction + 2 * dependency
    monitoring = (ARCH.parent / "monitoring" / "README.md").read_text(encoding="utf-8")
    example = re.search(r'```json\n(\{"ts".*?"event":"transaction".*?\}\})\n', monitoring, re.S)
    assert example, "the monitoring section's transaction log example is gone"
    measured = len("".join(line.strip() for line in example.group(1).splitlines())) + 1 + 26
    assert abs(measured - transaction) <= 0.15 * transaction, (measured, transaction)
    gb = 1200 * per_request * 2_628_000 / 1e9
    assert f"= {round(gb):,} GB {X} $0.50 = ${int(gb * 0.5):,}" in row
