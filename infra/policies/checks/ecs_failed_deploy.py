"""CKV_SRE_6: a failed ECS deployment must fail the apply.

What the provider does (hashicorp/terraform-provider-aws, internal/service/ecs): with
wait_for_steady_state the apply waits until the service has ONE deployment and
runningCount == desiredCount. Without the deployment circuit breaker a broken deployment retries
forever (the wait times out after the resource timeout); with the breaker and rollback, ECS rolls
back to the previous task definition, the service becomes steady again and the apply reports
SUCCESS although the new revision never ran (issues #19519 and #20858, both open). The
documented workaround, encoded here: a lifecycle postcondition that compares the service's
task_definition after the wait with the revision the apply registered (after a rollback the
provider reads back the old revision, so the postcondition fails the apply). On a first deploy
there is nothing to roll back to: the deployment is marked FAILED, never steady, and the wait
fails at its timeout.

So every aws_ecs_service needs: deployment_circuit_breaker.enable = true, wait_for_steady_state
= true, and, when rollback = true, a postcondition (the plan's `checks` list the resource).
tests/infra/test_policies.py checks in the HCL that the condition reads self.task_definition.

AWS: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
Provider: https://github.com/hashicorp/terraform-provider-aws/issues/19519
          https://github.com/hashicorp/terraform-provider-aws/issues/20858
"""

from __future__ import annotations

from typing import Any, Dict

import sre_planlib as lib
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

DOC = "https://github.com/hashicorp/terraform-provider-aws/issues/19519"


class EcsFailedDeployFailsApply(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="ECS service: breaker, wait_for_steady_state, task_definition postcondition",
            id="CKV_SRE_6",
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_resources=["aws_ecs_service"],
            guideline=DOC,
        )

    def scan_resource_conf(self, conf: Dict[str, Any]) -> CheckResult:
        plan, service = lib.plan_for(conf)
        if service is None:
            return CheckResult.UNKNOWN
        breakers = service.blocks("deployment_circuit_breaker")
        breaker = breakers[0] if breakers else {}
        if breaker.get("enable") is not True:
            self.details.append(
                "deployment_circuit_breaker.enable is not true: a broken deploy retries forever"
            )
            return CheckResult.FAILED
        if service.get("wait_for_steady_state") is not True:
            self.details.append(
                "wait_for_steady_state is not true: the apply does not wait for the deployment"
            )
            return CheckResult.FAILED
        if (
            breaker.get("rollback") is True
            and service.config_address not in plan.checked_config_addresses()
        ):
            self.details.append(
                "rollback = true, no postcondition: a rolled-back deploy reports success (#19519)"
            )
            return CheckResult.FAILED
        return CheckResult.PASSED


check = EcsFailedDeployFailsApply()
