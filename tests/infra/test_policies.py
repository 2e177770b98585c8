"""Cross-cutting policy checks over every .tf file in infra/ (python-hcl2, no engine needed).

They read better here than as plan assertions because they hold for every instance of a resource
type, in every module, including ones added later.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Set

import pytest

from tests.infra.hclpolicy import Block, blocks, load, nested, tf_files
from tests.infra.tfengine import INFRA, REPO_ROOT

RESOURCES = list(blocks(INFRA, "resource"))
# Every root: bootstrap (local state) and each folder whose versions.tf declares a backend.
ROOTS = sorted(
    {"bootstrap"}
    | {
        str(p.parent.relative_to(INFRA))
        for p in INFRA.glob("**/versions.tf")
        if "modules" not in p.parts and 'backend "' in p.read_text()
    }
)
DATA = list(blocks(INFRA, "data"))


def of_type(type_: str) -> List[Block]:
    found = [b for b in RESOURCES if b.type == type_]
    assert found, f"no {type_} in infra/: the policy below would be vacuous"
    return found


def test_every_log_group_is_encrypted_with_a_cmk_and_has_retention() -> None:
    for group in of_type("aws_cloudwatch_log_group"):
        assert group.body.get("kms_key_id"), f"{group} has no kms_key_id"
        assert group.body.get("retention_in_days"), f"{group} keeps logs forever"


def test_every_table_uses_a_cmk_pitr_and_deletion_protection() -> None:
    for table in of_type("aws_dynamodb_table"):
        sse = nested(table.body, "server_side_encryption")
        assert sse and sse[0].get("enabled") is True and sse[0].get("kms_key_arn"), str(table)
        pitr = nested(table.body, "point_in_time_recovery")
        assert pitr and pitr[0].get("enabled") not in (None, False), str(table)
        assert table.body.get("deletion_protection_enabled") not in (None, False), str(table)


def test_every_kms_key_rotates() -> None:
    for key in of_type("aws_kms_key"):
        rotation = key.body.get("enable_key_rotation")
        assert rotation is True or rotation == "${var.enable_key_rotation}", str(key)
    # ...and the variable cannot be switched off.
    kms_vars = load(INFRA / "modules/kms/variables.tf")["variable"]
    rotation_var = next(v["enable_key_rotation"] for v in kms_vars if "enable_key_rotation" in v)
    assert "var.enable_key_rotation" in str(rotation_var["validation"])


def test_every_bucket_is_private_versioned_encrypted_aged_and_tls_only() -> None:
    companions = (
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_policy",
    )
    for bucket in of_type("aws_s3_bucket"):
        ref = f"aws_s3_bucket.{bucket.name}"
        for companion in companions:
            attached = [
                b
                for b in RESOURCES
                if b.type == companion and b.module_dir == bucket.module_dir and ref in str(b.body)
            ]
            assert attached, f"{bucket} has no {companion}"
        policies = [
            d
            for d in DATA
            if d.type == "aws_iam_policy_document"
            and d.module_dir == bucket.module_dir
            and ref in str(d.body)
        ]
        assert any(_denies_insecure_transport(p) for p in policies), f"{bucket} allows plain HTTP"


def _denies_insecure_transport(doc: Block) -> bool:
    for statement in nested(doc.body, "statement"):
        if statement.get("effect") != "Deny":
            continue
        for condition in nested(statement, "condition"):
            if condition.get("variable") == "aws:SecureTransport" and "false" in condition.get(
                "values", []
            ):
                return True
    return False


# Statements allowed a wildcard, each with the reason. Anything else with "*" fails.
WILDCARD_ALLOWED = {
    # Key policies: "*" is the key itself; administrators get kms:Create*/Put*/... (AWS's key
    # administrator statement), users get kms:ReEncrypt*/GenerateDataKey*; CKV_SRE_4 judges them.
    ("modules/kms/main.tf", "this"),
    # Endpoint policy: restricts who may use the endpoint (own account only), grants nothing.
    ("modules/network/main.tf", "endpoint"),
}


def test_no_wildcard_actions_in_iam_policies() -> None:
    checked = 0
    for doc in (d for d in DATA if d.type == "aws_iam_policy_document"):
        where = (str(doc.path.relative_to(INFRA)), doc.name)
        if where in WILDCARD_ALLOWED:
            continue
        for statement in nested(doc.body, "statement"):
            actions = statement.get("actions", [])
            if isinstance(actions, str):  # a variable: its own validation forbids wildcards
                assert actions == "${var.table_actions}", f"{doc}: unexpected {actions}"
                continue
            for action in actions:
                checked += 1
                assert "*" not in action or statement.get("effect") == "Deny", f"{doc}: {action}"
    assert checked > 20


def test_task_role_actions_cannot_be_wildcards() -> None:
    variables = load(INFRA / "modules/service/variables.tf")["variable"]
    table_actions = next(v["table_actions"] for v in variables if "table_actions" in v)
    assert all(re.fullmatch(r"dynamodb:[A-Za-z]+", a) for a in table_actions["default"])
    assert "dynamodb:[A-Za-z]+" in str(table_actions["validation"])


def test_every_variable_and_output_is_documented_and_typed() -> None:
    for path in tf_files(INFRA):
        parsed = load(path)
        for entry in parsed.get("variable", []):
            for name, body in entry.items():
                assert body.get("description"), f"{path}: variable {name} has no description"
                assert "type" in body, f"{path}: variable {name} has no type"
        for entry in parsed.get("output", []):
            for name, body in entry.items():
                assert body.get("description"), f"{path}: output {name} has no description"


def test_modules_give_provider_floors_only_and_roots_commit_a_lock_file() -> None:
    # Modules take any provider at or above their floor (a caller picks); a root pins what it
    # was tested with in its committed .terraform.lock.hcl, the file `terraform init` reads.
    versions = sorted(INFRA.glob("**/versions.tf"))
    assert len(versions) >= 8
    for path in versions:
        terraform = load(path)["terraform"][0]
        assert terraform["required_version"].startswith(">="), path
        aws = terraform["required_providers"][0]["aws"]
        assert aws["source"] == "hashicorp/aws", path
        if path.parent.parent.name == "modules":
            assert re.fullmatch(r">= ?[0-9.]+", aws["version"]), f"{path}: {aws['version']}"
    for root in ROOTS:
        lock = INFRA / root / ".terraform.lock.hcl"
        assert lock.is_file(), f"{root} has no committed .terraform.lock.hcl"
        locked = r'provider "registry\.(terraform\.io|opentofu\.org)/hashicorp/aws"'
        assert re.search(locked, lock.read_text()), f"{lock} does not lock hashicorp/aws"


SKIP = re.compile(r"#checkov:skip=(CKV2?_AWS_\d+):(.*)$")


def test_every_checkov_skip_has_a_justification() -> None:
    seen = 0
    for path in tf_files(INFRA):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = SKIP.search(line.strip())
            if match:
                seen += 1
                assert len(match.group(2).strip()) >= 20, f"{path}:{number} skip without reason"
    assert seen > 0


def _tfvars_switches(path: Path) -> Dict[str, bool]:
    return {k: v for k, v in load(path).items() if isinstance(v, bool)}


@pytest.mark.parametrize(
    ("tfvars", "root"),
    [
        ("moto.tfvars", "environments/prod"),
        ("moto-baseline.tfvars", "baseline"),
        ("moto-artifacts.tfvars", "artifacts"),
    ],
)
def test_moto_tfvars_only_switch_off_documented_features(tfvars: str, root: str) -> None:
    moto = _tfvars_switches(REPO_ROOT / "tests/infra/fixtures" / tfvars)
    root_vars: Dict[str, object] = {}
    for entry in load(INFRA / root / "variables.tf")["variable"]:
        for name, body in entry.items():
            root_vars[name] = body.get("default")
    readme = (INFRA / "README.md").read_text()
    turned_off: Set[str] = set()
    for name, value in moto.items():
        assert name in root_vars, f"{tfvars} sets unknown variable {name}"
        if value is False:
            assert root_vars[name] is True, f"{name} is not on by default in {root}"
            turned_off.add(name)
            assert f"`{name}`" in readme, f"{name} is switched off for moto but not in the README"
    assert turned_off, "expected at least one moto switch"


@pytest.mark.parametrize(
    ("type_", "attribute"),
    [
        ("aws_sns_topic", "kms_master_key_id"),
        ("aws_backup_vault", "kms_key_arn"),
        ("aws_cloudtrail", "kms_key_id"),
    ],
)
def test_stores_name_their_cmk(type_: str, attribute: str) -> None:
    for block in of_type(type_):
        assert block.body.get(attribute), f"{block} has no {attribute}"


def test_trail_is_multi_region_with_validation() -> None:
    for trail in of_type("aws_cloudtrail"):
        assert trail.body["is_multi_region_trail"] is True
        assert trail.body["enable_log_file_validation"] is True


def test_resource_names_follow_this_convention() -> None:
    per_module: Dict[Path, Set[str]] = defaultdict(set)
    for block in RESOURCES:
        per_module[block.module_dir].add(block.name)
    for module_dir in INFRA.glob("modules/*"):
        if not per_module[module_dir]:
            continue  # a composition module (modules/app): only module calls, no resources
        assert "this" in per_module[module_dir], f"{module_dir} has no resource named this"


def test_every_ecs_service_fails_the_apply_when_its_deployment_rolls_back() -> None:
    # The plan JSON (CKV_SRE_6) only shows that the service has a condition; this checks what
    # it compares: the revision the service runs after the wait against the one registered.
    for service in of_type("aws_ecs_service"):
        lifecycle = nested(service.body, "lifecycle")
        conditions = [c for block in lifecycle for c in nested(block, "postcondition")]
        assert any("self.task_definition" in str(c.get("condition")) for c in conditions), (
            f"{service}: no postcondition on self.task_definition (provider issue #19519)"
        )
