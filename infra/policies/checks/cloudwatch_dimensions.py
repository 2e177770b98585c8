"""CKV_SRE_2: alarms and dashboards watch metric/dimension combinations AWS actually publishes.

CloudWatch accepts an alarm on any (namespace, metric, dimensions) triple; a triple AWS does
not publish is simply a series with no data, so the alarm sits in INSUFFICIENT_DATA or, with
treat_missing_data = notBreaching, stays OK forever. The valid combinations, each with the AWS
page that documents it, are in ../cloudwatch_metrics.yaml. Namespaces outside
AWS's (your own metric filters) are not checked.

AWS: per-namespace pages listed in cloudwatch_metrics.yaml, e.g.
     https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html
     Dashboard metric arrays ("." and "..." shorthand):
     https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import sre_planlib as lib
import yaml
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

DOC = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension"
DATA = Path(__file__).resolve().parent.parent / "cloudwatch_metrics.yaml"
Metric = Tuple[str, str, Tuple[str, ...]]


@lru_cache(maxsize=1)
def reference() -> Dict[str, Dict[str, List[frozenset[str]]]]:
    with open(DATA) as handle:
        raw = yaml.safe_load(handle)
    return {
        ns: {m: [frozenset(dims) for dims in sets] for m, sets in body["metrics"].items()}
        for ns, body in raw.items()
    }


def is_aws_namespace(namespace: str) -> bool:
    return namespace.startswith("AWS/") or namespace.startswith("ECS/ContainerInsights")


def problem(metric: Metric) -> Optional[str]:
    namespace, name, dims = metric
    if not is_aws_namespace(namespace):
        return None
    ref = reference()
    if namespace not in ref or name not in ref[namespace]:
        return f"{namespace} {name}: not in cloudwatch_metrics.yaml (add it with its AWS source)"
    if frozenset(dims) not in ref[namespace][name]:
        valid = " | ".join(sorted("{" + ", ".join(sorted(s)) + "}" for s in ref[namespace][name]))
        return f"{namespace} {name} with {{{', '.join(sorted(dims))}}}: AWS publishes only {valid}"
    return None


def alarm_metrics(alarm: lib.Resource) -> Iterator[Any]:
    """(namespace, metric, dimension names) of a metric alarm, or UNKNOWN parts."""
    if alarm.get("metric_name"):
        yield (
            alarm.get("namespace"),
            alarm.get("metric_name"),
            alarm.get("dimensions"),
            alarm.unknown.get("dimensions"),
        )
    unknown_queries = alarm.unknown.get("metric_query")
    for i, query in enumerate(alarm.blocks("metric_query")):
        unknown_q = _nth(unknown_queries, i)
        for j, m in enumerate(query.get("metric") or []):
            unknown_m = True if unknown_q is True else _nth(_field(unknown_q, "metric"), j)
            dims_unknown = True if unknown_m is True else _field(unknown_m, "dimensions")
            yield m.get("namespace"), m.get("metric_name"), m.get("dimensions"), dims_unknown


def _nth(value: Any, index: int) -> Any:
    return value[index] if isinstance(value, list) and index < len(value) else value is True


def _field(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else value is True


def dashboard_metrics(body: Dict[str, Any]) -> Iterator[Metric]:
    """Expand the metrics arrays of every metric widget ("." = as above, "..." = rest as above)."""
    for widget in body.get("widgets", []):
        rows = (widget.get("properties") or {}).get("metrics") or []
        previous: List[str] = []
        for row in rows:
            items = [i for i in row if not isinstance(i, dict)]
            if not items:  # an expression row ({"expression": ...})
                continue
            if items[0] == "...":
                tail = items[1:]
                items = previous[: len(previous) - len(tail)] + tail
            else:
                items = [
                    previous[i] if v == "." and i < len(previous) else v
                    for i, v in enumerate(items)
                ]
            previous = items
            namespace, name, rest = items[0], items[1], items[2:]
            yield str(namespace), str(name), tuple(str(k) for k in rest[0::2])


class CloudWatchDimensionsAreDocumented(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="CloudWatch alarms/dashboards use metric+dimension combinations AWS publishes",
            id="CKV_SRE_2",
            categories=[CheckCategories.LOGGING],
            supported_resources=["aws_cloudwatch_metric_alarm", "aws_cloudwatch_dashboard"],
            guideline=DOC,
        )

    def scan_resource_conf(self, conf: Dict[str, Any]) -> CheckResult:
        _, resource = lib.plan_for(conf)
        if resource is None:
            return CheckResult.UNKNOWN
        problems: List[str] = []
        if resource.type == "aws_cloudwatch_dashboard":
            body = resource.get("dashboard_body")
            if not isinstance(body, str):
                self.details.append("dashboard_body unknown at plan time")
                return CheckResult.FAILED
            problems = [p for m in dashboard_metrics(json.loads(body)) if (p := problem(m))]
        else:
            for namespace, name, dims, dims_unknown in alarm_metrics(resource):
                if not isinstance(namespace, str) or not isinstance(name, str):
                    problems.append("namespace or metric_name unknown at plan time")
                    continue
                if dims is lib.UNKNOWN or dims_unknown is True:
                    problems.append(f"{namespace} {name}: dimensions unknown at plan time")
                    continue
                keys = set((dims or {}).keys()) | set(dims_unknown or {})
                p = problem((namespace, name, tuple(keys)))
                if p:
                    problems.append(p)
        if problems:
            self.details.extend(problems)
            return CheckResult.FAILED
        return CheckResult.PASSED


check = CloudWatchDimensionsAreDocumented()
