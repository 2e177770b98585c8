"""End to end, once per engine (Terraform and OpenTofu): apply the roots against moto in the
documented order, re-plan, use the table, judge the real plans with the plan policies, destroy.

The run uses its own moto server (IAM with AWS managed policies loaded, ACM certificates issued
at once) and a scratch copy of infra/ with a generated override (local state, provider switches
for moto, from `fixtures/moto_provider.tf.tmpl`). `fixtures/moto.tfvars` switches off only what
moto cannot serve; each one is listed with its reason in infra/README.md. The tests of this
module share one deployment per engine and run in file order: the last one destroys it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import boto3
import pytest
import requests

from tests.infra.planmutations import broken_copy
from tests.infra.policyrun import RULES, run_policies
from tests.infra.tfengine import REPO_ROOT, Engine, copy_infra
from tests.support.localaws import MotoServer, free_port

FIXTURES = Path(__file__).parent / "fixtures"
REGION = "us-east-1"
DR_REGION = "us-west-2"
APP = REPO_ROOT / "docker" / "app" / "app.py"

# Attributes moto does not store or returns in another shape, so a re-plan against moto shows
# them as in-place updates although nothing changed. Any other change (and any create, delete or
# replace) fails the test. infra/README.md explains each.
KNOWN_MOTO_DRIFT: Dict[str, set[str]] = {
    # ListTags of AWS Backup returns nothing.
    "aws_backup_vault": {"tags_all"},
    "aws_backup_plan": {"tags_all"},
    # DescribeServices leaves these out.
    "aws_ecs_service": {
        "availability_zone_rebalancing",
        "enable_ecs_managed_tags",
        "health_check_grace_period_seconds",
    },
    # Rules that reference a security group or prefix list lose their description, and the
    # referenced group comes back as "<account>/<sg-id>".
    "aws_vpc_security_group_ingress_rule": {"description", "referenced_security_group_id"},
    "aws_vpc_security_group_egress_rule": {"description"},
}


def _changed_attributes(change: Dict[str, Any]) -> List[str]:
    before = change.get("before") or {}
    after = change.get("after") or {}
    unknown = change.get("after_unknown") or {}
    keys = set(before) | set(after)
    return sorted(k for k in keys if before.get(k) != after.get(k) or unknown.get(k) is True)


def _unexpected_drift(plan_json: Dict[str, Any]) -> List[str]:
    problems = []
    for rc in plan_json.get("resource_changes", []):
        actions = rc["change"]["actions"]
        if actions in (["no-op"], ["read"]):
            continue
        if actions != ["update"]:
            problems.append(f"{rc['address']}: {actions}")
            continue
        allowed = KNOWN_MOTO_DRIFT.get(rc["type"], set())
        extra = [a for a in _changed_attributes(rc["change"]) if a not in allowed]
        if extra:
            problems.append(f"{rc['address']}: {extra}")
    return problems


@dataclass
class Stage:
    """One root applied in order (the README's deploy steps), with its moto-only switches.

    `inputs` turns earlier roots' outputs into this root's variables (as the README's make
    targets pass them); `before` runs first (e.g. pushing the images the app root verifies).
    """

    root: str
    tfvars: Optional[Path] = None
    inputs: Callable[[Deployment], Dict[str, str]] = lambda _: {}
    before: Callable[[Deployment], None] = lambda _: None


IMAGE_TAG = "e2e"
DESIRED_COUNT = 3
# Any Docker v2 manifest: moto stores it as the image; ECR's describe-images then finds the tag.
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 7023,
            "digest": "sha256:" + "1" * 64,
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": 32654,
                "digest": "sha256:" + "2" * 64,
            }
        ],
    }
)


def _push_images(deployment: Deployment) -> None:
    """The README's "push images" step: one image per artifacts repository, tag `e2e`."""
    ecr = boto3.client("ecr")
    for repo in ecr.describe_repositories()["repositories"]:
        ecr.put_image(
            repositoryName=repo["repositoryName"], imageManifest=MANIFEST, imageTag=IMAGE_TAG
        )


def _app_inputs(deployment: Deployment) -> Dict[str, str]:
    artifacts = deployment.outputs_of("artifacts")
    urls = artifacts["repository_urls"]
    return {
        "container_image": f"{urls['app']}:{IMAGE_TAG}",
        "tls_proxy_image": f"{urls['tls-proxy']}:{IMAGE_TAG}",
        "ecr_kms_key_arn": artifacts["kms_key_arn"],
    }


# The order a real deployment takes (infra/README.md): account baseline, artifacts (ECR), push
# images, the application. Roots moto cannot apply are listed in the README with the reason.
STAGES = [
    Stage("baseline", FIXTURES / "moto-baseline.tfvars"),
    Stage("artifacts", FIXTURES / "moto-artifacts.tfvars"),
    Stage("environments/prod", FIXTURES / "moto.tfvars", inputs=_app_inputs, before=_push_images),
]


def _override_for(root: Path) -> str:
    """Local state and moto's provider switches for every provider configuration of a root."""
    aliases = sorted(set(re.findall(r'alias\s*=\s*"([\w-]+)"', _read_tf(root))))
    provider = (FIXTURES / "moto_provider.tf.tmpl").read_text()
    blocks = [provider.replace("ALIAS_LINE", "")]
    blocks += [provider.replace("ALIAS_LINE", f'alias = "{a}"') for a in aliases]
    return 'terraform {\n  backend "local" {}\n}\n\n' + "\n".join(blocks)


def _read_tf(root: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(root.glob("*.tf")))


class Stack:
    """A scratch copy of one root and the engine commands run on it."""

    def __init__(
        self,
        engine: Engine,
        root: Path,
        stage: Stage,
        zone_id: str,
        env: Dict[str, str],
        inputs: Dict[str, str],
    ):
        self.engine = engine
        self.root = root
        self.env = env
        self.zone_var = (
            [f"-var=route53_zone_id={zone_id}"] if "route53_zone_id" in _read_tf(root) else []
        )
        given = [f"-var={k}={v}" for k, v in inputs.items()]
        tfvars = [f"-var-file={stage.tfvars}"] if stage.tfvars else []
        self.var_args = [*tfvars, *self.zone_var, *given]
        (root / "moto_override.tf").write_text(_override_for(root))

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.engine.run(
            [*args, "-input=false", "-no-color"], cwd=self.root, extra_env=self.env, check=check
        )

    def apply(self, *extra: str) -> None:
        self.run("apply", "-auto-approve", *self.var_args, *extra)

    def destroy(self, check: bool = True) -> None:
        unprotect = (
            ["-var=enable_deletion_protection=false"]
            if 'variable "enable_deletion_protection"' in _read_tf(self.root)
            else []
        )
        self.run("destroy", "-auto-approve", *self.var_args, *unprotect, check=check)

    def outputs(self) -> Dict[str, Any]:
        raw = self.engine.run(["output", "-json"], cwd=self.root, extra_env=self.env).stdout
        return {k: v["value"] for k, v in json.loads(raw).items()}

    def plan_json(self, out: Path, *args: str) -> Dict[str, Any]:
        """`plan -out` + `show -json` with the given variables; the JSON is also saved to `out`."""
        self.run("plan", "-out=policy.tfplan", *args)
        shown = self.engine.run(
            ["show", "-json", "policy.tfplan"], cwd=self.root, extra_env=self.env
        )
        out.write_text(shown.stdout)
        return dict(json.loads(shown.stdout))


@dataclass
class Deployment:
    """Every stage applied against one private moto server, for one engine."""

    engine: Engine
    server: MotoServer
    zone_id: str
    work: Path
    stacks: List[Stack] = field(default_factory=list)
    destroyed: bool = False

    @property
    def app(self) -> Stack:
        return self.stacks[-1]

    def outputs_of(self, root: str) -> Dict[str, Any]:
        stack = next(s for s in self.stacks if s.root.as_posix().endswith(f"/infra/{root}"))
        return stack.outputs()

    def outputs(self) -> Dict[str, Any]:
        return {**self.app.outputs(), "route53_zone_id": self.zone_id}


@pytest.fixture(scope="module")
def deployed(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """Apply every stage with `engine` against a private moto server (IAM managed policies
    loaded, ACM certificates issued at once); destroy what is left at the end."""
    work = tmp_path_factory.mktemp(f"e2e-{engine.name}")
    with pytest.MonkeyPatch.context() as mp:
        # The AWS Config role attaches the managed AWS_ConfigRole policy, which moto only knows
        # when it loads the AWS managed policies.
        mp.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        mp.setenv("MOTO_ACM_VALIDATION_WAIT", "0")
        # moto runs no tasks; it reports this many running, so the provider's steady-state wait
        # (one deployment, running == desired) ends and the apply exercises wait_for_steady_state
        # and the service's task_definition postcondition as on AWS. It must equal the prod
        # desired_count (no autoscaling on moto).
        mp.setenv("MOTO_ECS_SERVICE_RUNNING", str(DESIRED_COUNT))
        # One request at a time: moto's shared state races under a parallel apply (a 500 after
        # the write, retried into InvalidPermission.Duplicate); tests/support/moto_serial.py.
        with MotoServer(log_path=work / "moto.log", serialized=True) as server:
            for key in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
                mp.delenv(key, raising=False)
            for key, value in server.env(REGION).items():
                mp.setenv(key, value)
            zone_id = (
                boto3.client("route53")
                .create_hosted_zone(Name="somedomain.com", CallerReference="e2e")["HostedZone"][
                    "Id"
                ]
                .split("/")[-1]
            )
            infra = copy_infra(work)
            deployment = Deployment(engine, server, zone_id, work)
            started = time.monotonic()
            for stage in STAGES:
                stage.before(deployment)
                stack = Stack(
                    engine,
                    infra / stage.root,
                    stage,
                    zone_id,
                    server.env(REGION),
                    stage.inputs(deployment),
                )
                stack.run("init")
                stack.apply()
                deployment.stacks.append(stack)
            took = time.monotonic() - started
            print(
                f"[e2e] {engine.name}: applied {len(STAGES)} roots in {took:.0f} s",
                file=sys.stderr,
            )
            try:
                yield deployment
            finally:
                if not deployment.destroyed:
                    _empty_repositories()
                    for stack in reversed(deployment.stacks):
                        stack.destroy(check=False)


def _start_app(table: str, log_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "USERS_TABLE": table,
        "LOG_DIR": str(log_dir),
    }
    proc = subprocess.Popen(
        [sys.executable, str(APP)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except requests.ConnectionError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("the /user service did not become healthy")


def _assert_prod_properties(outputs: Dict[str, Any]) -> None:
    ddb = boto3.client("dynamodb")
    table = ddb.describe_table(TableName=outputs["table_name"])["Table"]
    assert table["SSEDescription"]["SSEType"] == "KMS"
    assert table["SSEDescription"]["KMSMasterKeyArn"] == outputs["kms_key_arns"]["dynamodb"]
    assert table["DeletionProtectionEnabled"] is True
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    backups = ddb.describe_continuous_backups(TableName=outputs["table_name"])
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"

    elb = boto3.client("elbv2")
    (lb,) = elb.describe_load_balancers()["LoadBalancers"]
    attributes = {
        a["Key"]: a["Value"]
        for a in elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])[
            "Attributes"
        ]
    }
    assert attributes["deletion_protection.enabled"] == "true"
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["access_logs.s3.enabled"] == "true"
    listeners = {
        listener["Port"]: listener
        for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    }
    assert set(listeners) == {80, 443}
    assert listeners[443]["SslPolicy"].startswith("ELBSecurityPolicy-TLS13-")
    redirect = listeners[80]["DefaultActions"][0]["RedirectConfig"]
    assert (redirect["Protocol"], redirect["StatusCode"]) == ("HTTPS", "HTTP_301")

    ecs = boto3.client("ecs")
    (service,) = ecs.describe_services(
        cluster=outputs["cluster_name"], services=[outputs["service_name"]]
    )["services"]
    assert service["desiredCount"] >= 3
    subnets = service["networkConfiguration"]["awsvpcConfiguration"]["subnets"]
    azs = {
        s["AvailabilityZone"]
        for s in boto3.client("ec2").describe_subnets(SubnetIds=subnets)["Subnets"]
    }
    assert len(azs) == 3

    groups = boto3.client("logs").describe_log_groups()["logGroups"]
    assert len(groups) >= 4
    assert all(g.get("kmsKeyId") for g in groups), [g["logGroupName"] for g in groups]

    records = boto3.client("route53").list_resource_record_sets(
        HostedZoneId=outputs["route53_zone_id"]
    )["ResourceRecordSets"]
    www = [r for r in records if r["Name"].rstrip(".") == "www.somedomain.com" and r["Type"] == "A"]
    assert www and "AliasTarget" in www[0]

    waf = boto3.client("wafv2").get_web_acl_for_resource(ResourceArn=lb["LoadBalancerArn"])
    assert waf["WebACL"]["ARN"] == outputs["web_acl_arn"]


def _assert_nothing_left() -> None:
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []
    assert boto3.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert boto3.client("logs").describe_log_groups()["logGroups"] == []
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    assert boto3.client("sns").list_topics()["Topics"] == []
    # moto's DeleteTrail ignores a trail ARN (the provider deletes by ARN): the trail survives
    # destroy in moto only. It must be the one trail we made, and nothing else may be left.
    trails = boto3.client("cloudtrail").describe_trails()["trailList"]
    assert [t["Name"] for t in trails] in ([], ["user-api-trail"])
    assert boto3.client("ecr").describe_repositories()["repositories"] == []
    vpcs = boto3.client("ec2").describe_vpcs()["Vpcs"]
    assert all(v.get("IsDefault") for v in vpcs), [v["VpcId"] for v in vpcs]
    clusters = boto3.client("ecs").describe_clusters(clusters=["user-api"])["clusters"]
    assert all(c["status"] == "INACTIVE" for c in clusters)
    for region in (REGION, DR_REGION):
        backup = boto3.client("backup", region_name=region)
        assert backup.list_backup_vaults()["BackupVaultList"] == [], region
        kms = boto3.client("kms", region_name=region)
        # moto makes the AWS-managed keys (alias/aws/<service>) on first use, labelled CUSTOMER.
        aws_managed = {
            a["TargetKeyId"]
            for a in kms.list_aliases()["Aliases"]
            if a["AliasName"].startswith("alias/aws/") and "TargetKeyId" in a
        }
        for key in kms.list_keys()["Keys"]:
            meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            if meta["KeyManager"] == "CUSTOMER" and key["KeyId"] not in aws_managed:
                assert meta["KeyState"] == "PendingDeletion", (region, meta["Description"])


pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(1800)]


def test_stack_has_the_documented_properties(deployed: Deployment) -> None:
    _assert_prod_properties(deployed.outputs())


def test_replan_changes_nothing_but_known_moto_drift(real_plans: Dict[str, Path]) -> None:
    # Nothing to create, destroy or replace; only the attributes moto cannot round-trip.
    for name, path in real_plans.items():
        assert _unexpected_drift(json.loads(path.read_text())) == [], name


def test_service_writes_and_reads_users_in_the_table(deployed: Deployment, tmp_path: Path) -> None:
    outputs = deployed.outputs()
    app: Optional[subprocess.Popen[bytes]] = None
    try:
        app, base = _start_app(outputs["table_name"], tmp_path / "app-logs")
        user = {"user_id": "e2e-user-1", "name": "Ada Lovelace", "email": "ada@example.com"}
        created = requests.post(f"{base}/user", json=user, timeout=10)
        assert created.status_code == 201, created.text
        fetched = requests.get(f"{base}/user", params={"user_id": user["user_id"]}, timeout=10)
        assert fetched.status_code == 200 and fetched.json() == user
        item = boto3.client("dynamodb").get_item(
            TableName=outputs["table_name"], Key={"user_id": {"S": user["user_id"]}}
        )
        assert item["Item"]["email"]["S"] == user["email"]
    finally:
        if app is not None:
            app.terminate()
            app.wait(timeout=10)


@pytest.fixture(scope="module")
def real_plans(deployed: Deployment) -> Dict[str, Path]:
    """The re-plan of every root over its applied state, as `show -json`: ARNs and policy
    documents are known, so the plan policies judge what AWS would get. The moto switches left
    in fixtures/*.tfvars (IPv6, backup selection, autoscaling, Security Hub, Access Analyzer,
    force_destroy) touch none of the policies' subjects; wait_for_steady_state stays on."""
    folder = deployed.work / "real-plans"
    folder.mkdir(exist_ok=True)
    plans = {}
    for stack in deployed.stacks:
        name = stack.root.relative_to(deployed.work / "infra").as_posix().replace("/", "-")
        stack.plan_json(folder / f"{name}.json", *stack.var_args)
        plans[name] = folder / f"{name}.json"
    return plans


def test_real_plans_pass_every_plan_policy(real_plans: Dict[str, Path]) -> None:
    results = run_policies(next(iter(real_plans.values())).parent)
    for rule in RULES:
        passed = [a for r in results.values() for a in r[rule]["passed"]]
        failed = [f for r in results.values() for f in r[rule]["failed"]]
        assert failed == [], f"{rule} fails on the real plan: {failed}"
        assert passed, f"{rule} found no subject in any real plan (vacuous)"


def test_every_policy_fails_on_a_broken_copy_of_the_real_plan(
    real_plans: Dict[str, Path], tmp_path: Path
) -> None:
    touched: Dict[str, int] = dict.fromkeys(RULES, 0)
    for name, path in real_plans.items():
        plan = json.loads(path.read_text())
        for rule in RULES:
            broken, hits = broken_copy(plan, rule)
            if hits:
                touched[rule] += hits
                (tmp_path / f"{name}--{rule}.json").write_text(json.dumps(broken))
    assert all(touched.values()), f"a mutation found nothing to break: {touched}"
    results = run_policies(tmp_path)
    for file_name, by_rule in results.items():
        rule = file_name.rsplit("--", 1)[1].removesuffix(".json")
        assert by_rule[rule]["failed"], f"{rule} did not fail on {file_name}: {by_rule[rule]}"


def test_teardown_as_documented_leaves_nothing(deployed: Deployment) -> None:
    # Lift deletion protection first, then destroy, newest root first. The repositories keep
    # their images (no force_delete, they are the rollback targets): empty them first.
    app = deployed.app
    app.apply(
        "-var=enable_deletion_protection=false",
        "-target=module.app.module.edge.aws_lb.this",
        "-target=module.app.module.data.aws_dynamodb_table.this",
    )
    for stack in reversed(deployed.stacks):
        if stack.root.name == "artifacts":
            _empty_repositories()
        stack.destroy()
        state = stack.engine.run(
            ["state", "list"], cwd=stack.root, extra_env=stack.env, check=False
        )
        assert state.stdout.strip() == "", state.stdout
    deployed.destroyed = True
    _assert_nothing_left()


def _empty_repositories() -> None:
    ecr = boto3.client("ecr")
    for repo in ecr.describe_repositories()["repositories"]:
        images = ecr.list_images(repositoryName=repo["repositoryName"])["imageIds"]
        if images:
            ecr.batch_delete_image(repositoryName=repo["repositoryName"], imageIds=images)
