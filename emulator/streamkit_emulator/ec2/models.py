"""EC2: instances from launch templates; an instance whose user data starts a
service runs it on the emulator (ec2_producer), stopped with the instance."""
from __future__ import annotations

from typing import Any

from streamkit_emulator.ec2 import producer as ec2_producer


def _instance_from_launch_template() -> None:
    """AWS::EC2::Instance with a LaunchTemplate (moto requires ImageId and
    drops the template, its metadata options and instance profile)."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.instances import Instance, MetadataOptions

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = ec2_backends[account_id][region_name]
        template_arg = None
        data: dict[str, Any] = {}
        if props.get("LaunchTemplate"):
            lt = props["LaunchTemplate"]
            template_arg = {
                k: str(v) for k, v in lt.items() if k in ("LaunchTemplateId", "LaunchTemplateName", "Version")
            }
            data = backend._get_template_from_args(template_arg).data
        group_ids = list(props.get("SecurityGroupIds", [])) or list(data.get("SecurityGroupIds", []))
        group_names = [backend.get_security_group_from_id(g).name for g in group_ids]
        group_names += list(props.get("SecurityGroups", []))
        run_kwargs: dict[str, Any] = dict(
            instance_type=props.get("InstanceType") or data.get("InstanceType", "m1.small"),
            is_instance_type_default=not (props.get("InstanceType") or data.get("InstanceType")),
            subnet_id=props.get("SubnetId"),
            key_name=props.get("KeyName"),
            private_ip=props.get("PrivateIpAddress"),
            block_device_mappings=props.get("BlockDeviceMappings", {}),
        )
        if template_arg:
            run_kwargs["launch_template"] = template_arg
        image_id = props.get("ImageId") or data.get("ImageId")
        if not image_id:
            raise ValueError("AWS::EC2::Instance: no ImageId in the instance or its launch template")
        reservation = backend.run_instances(
            image_id=image_id,
            user_data=props.get("UserData"),
            count=1,
            security_group_names=group_names,
            **run_kwargs,
        )
        instance = reservation.instances[0]
        metadata = props.get("MetadataOptions") or data.get("MetadataOptions")
        if metadata:
            instance.metadata_options = MetadataOptions(metadata)
        for tag in props.get("Tags", []):
            instance.add_tag(tag["Key"], tag["Value"])
        profile = props.get("IamInstanceProfile") or (data.get("IamInstanceProfile") or {}).get("Name")
        if not profile and (data.get("IamInstanceProfile") or {}).get("Arn"):
            profile = data["IamInstanceProfile"]["Arn"].rsplit("/", 1)[-1]
        if profile:
            backend.associate_iam_instance_profile(instance_id=instance.id, iam_instance_profile_name=profile)
        instance.streamkit_user_data = props.get("UserData") or data.get("UserData")
        ec2_producer.launch(account_id, region_name, instance.id, instance.streamkit_user_data)
        return instance

    Instance.create_from_cloudformation_json = classmethod(create)


def _services_follow_the_instance() -> None:
    """Stopping or terminating an instance stops its services; starting it
    again starts the ones its user data enabled (systemd would at boot)."""
    from moto.ec2.models.instances import Instance

    start, stop, terminate = Instance.start, Instance.stop, Instance.terminate

    def started(self: Any) -> Any:
        previous = start(self)
        if previous.name != "running" and getattr(self, "streamkit_user_data", None):
            ec2_producer.launch(self.ec2_backend.account_id, self.ec2_backend.region_name, self.id,
                                self.streamkit_user_data)
        return previous

    def stopped(self: Any) -> Any:
        ec2_producer.stop(self.id)
        return stop(self)

    def terminated(self: Any) -> Any:
        ec2_producer.stop(self.id)
        return terminate(self)

    Instance.start, Instance.stop, Instance.terminate = started, stopped, terminated


def install() -> None:
    """Applies this module's patches to moto (once, from `streamkit_emulator.install`)."""
    _instance_from_launch_template()
    _services_follow_the_instance()
