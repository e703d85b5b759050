"""Termination protection, which moto stores but does not act on.

- UpdateTerminationProtection sets it and answers the stack id (AWS
  CloudFormation API Reference, UpdateTerminationProtection:
  https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateTerminationProtection.html).
- DescribeStacks shows it as `EnableTerminationProtection` (moto's model field).
- DeleteStack of a protected stack fails with ValidationError and deletes
  nothing ("Protect CloudFormation stacks from being deleted",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-protect-stacks.html:
  "If a user attempts to delete a stack with termination protection enabled,
  the deletion fails and the stack, including its status, remains unchanged").
"""

from typing import Any


def install() -> None:
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import ActionResult

    def update_termination_protection(self: Any) -> Any:
        stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
        stack.enable_termination_protection = self._get_bool_param("EnableTerminationProtection", False)
        return ActionResult({"StackId": stack.stack_id})

    original_delete = CloudFormationResponse.delete_stack

    def delete_stack(self: Any) -> Any:
        name = self._get_param("StackName")
        stack = next(
            (s for s in self.cloudformation_backend.stacks.values() if name in (s.name, s.stack_id)),
            None,
        )
        if stack is not None and getattr(stack, "enable_termination_protection", False):
            raise ValidationError(
                message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
            )
        return original_delete(self)

    CloudFormationResponse.update_termination_protection = update_termination_protection
    CloudFormationResponse.delete_stack = delete_stack
