"""Smoke test, per engine: engine + mirrored AWS provider + endpoint wiring, against moto."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import pytest

from tests.infra.tfengine import Engine
from tests.support.localaws import MotoServer

FIXTURE = Path(__file__).parent / "fixtures" / "smoke"


@pytest.mark.integration
@pytest.mark.slow
def test_apply_and_destroy_a_kms_key_and_a_table(
    aws_env: MotoServer, engine: Engine, tmp_path: Path
) -> None:
    work = tmp_path / "smoke"
    shutil.copytree(FIXTURE, work)
    engine.run(["init", "-input=false", "-no-color"], cwd=work)
    engine.run(["apply", "-auto-approve", "-input=false", "-no-color"], cwd=work)

    outputs = json.loads(engine.run(["output", "-json"], cwd=work).stdout)
    table = boto3.client("dynamodb").describe_table(TableName=outputs["table_name"]["value"])
    sse = table["Table"]["SSEDescription"]
    assert sse["SSEType"] == "KMS"
    assert sse["KMSMasterKeyArn"] == outputs["kms_key_arn"]["value"]

    # A second plan against the same server finds nothing to do.
    plan = engine.run(
        ["plan", "-detailed-exitcode", "-input=false", "-no-color"], cwd=work, check=False
    )
    assert plan.returncode == 0, plan.stdout + plan.stderr

    engine.run(["destroy", "-auto-approve", "-input=false", "-no-color"], cwd=work)
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []
    key = boto3.client("kms").describe_key(KeyId=outputs["kms_key_arn"]["value"])
    assert key["KeyMetadata"]["KeyState"] == "PendingDeletion"
