"""API Gateway: stages, usage plans, API keys, validators, models, account
settings, and the method/integration/deployment properties and deletes moto
leaves out."""
from __future__ import annotations

import json
from typing import Any

from moto.apigateway import models as apigw
from moto.apigateway.models import apigateway_backends
from moto.core.common_models import CloudFormationModel

from streamkit_emulator.apigateway import snapshot as apigw_snapshot
from streamkit_emulator.core.common import MODULE, StreamkitModel, as_bool, as_float, as_int, tag_map, wrap_create


def _api(account_id: str, region_name: str) -> Any:
    return apigateway_backends[account_id][region_name]


class ApiStage(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::ApiGateway::Stage"
    NAME_PROPERTY = "StageName"
    ATTRIBUTES: dict[str, str] = {}

    def __init__(self, api_id: str, name: str):
        self.api_id = api_id
        self.ref = name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        api_id = p["RestApiId"]
        name = p.get("StageName", resource_name)
        stage = _api(account_id, region_name).create_stage(
            function_id=api_id,
            stage_name=name,
            deploymentId=p["DeploymentId"],
            variables=p.get("Variables"),
            description=p.get("Description", ""),
            cacheClusterEnabled=as_bool(p.get("CacheClusterEnabled")),
            cacheClusterSize=p.get("CacheClusterSize"),
            tags=tag_map(p.get("Tags")) or None,
            tracing_enabled=as_bool(p.get("TracingEnabled")),
        )
        for setting in p.get("MethodSettings", []):
            path = setting.get("ResourcePath", "/*")
            path = path[1:] if path.startswith("/") else path
            path = path.replace("/", "~1") if path != "*" else "*"
            key = f"{path}/{setting.get('HttpMethod', '*')}"
            entry = {}
            for cfn, api in (
                ("LoggingLevel", "loggingLevel"),
                ("MetricsEnabled", "metricsEnabled"),
                ("DataTraceEnabled", "dataTraceEnabled"),
                ("ThrottlingBurstLimit", "throttlingBurstLimit"),
                ("ThrottlingRateLimit", "throttlingRateLimit"),
                ("CachingEnabled", "cachingEnabled"),
                ("CacheTtlInSeconds", "cacheTtlInSeconds"),
                ("CacheDataEncrypted", "cacheDataEncrypted"),
            ):
                if cfn in setting:
                    value = setting[cfn]
                    if cfn == "ThrottlingRateLimit":
                        value = as_float(value)
                    elif cfn in ("ThrottlingBurstLimit", "CacheTtlInSeconds"):
                        value = as_int(value)
                    else:
                        value = as_bool(value)
                    entry[api] = value
            stage.method_settings[key] = entry
        logs = p.get("AccessLogSetting")
        if logs:
            stage.access_log_settings = {
                "destinationArn": logs.get("DestinationArn"),
                "format": logs.get("Format"),
            }
        return cls(api_id, name)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _api(account_id, region_name)
        if self.api_id in backend.apis:
            api = backend.apis[self.api_id]
            api.stages.pop(self.ref, None)


class UsagePlan(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::ApiGateway::UsagePlan"
    NAME_PROPERTY = "UsagePlanName"
    ATTRIBUTES = {"Id": "ref"}

    def __init__(self, plan_id: str):
        self.ref = plan_id

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        payload: dict[str, Any] = {
            "name": p.get("UsagePlanName", resource_name),
            "description": p.get("Description"),
            "apiStages": [
                {
                    "apiId": s["ApiId"],
                    "stage": s["Stage"],
                    **({"throttle": s["Throttle"]} if "Throttle" in s else {}),
                }
                for s in p.get("ApiStages", [])
            ],
        }
        if "Throttle" in p:
            t = p["Throttle"]
            payload["throttle"] = {}
            if "RateLimit" in t:
                payload["throttle"]["rateLimit"] = as_float(t["RateLimit"])
            if "BurstLimit" in t:
                payload["throttle"]["burstLimit"] = as_int(t["BurstLimit"])
        if "Quota" in p:
            q = p["Quota"]
            payload["quota"] = {
                "limit": as_int(q.get("Limit")),
                "period": q.get("Period"),
                "offset": as_int(q.get("Offset", 0)),
            }
        if p.get("Tags"):
            payload["tags"] = tag_map(p["Tags"])
        plan = _api(account_id, region_name).create_usage_plan(payload)
        return cls(plan.id)

    def delete(self, account_id: str, region_name: str) -> None:
        _api(account_id, region_name).delete_usage_plan(self.ref)


class ApiKey(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::ApiGateway::ApiKey"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = {"APIKeyId": "ref"}

    def __init__(self, key_id: str):
        self.ref = key_id

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        payload: dict[str, Any] = {
            "name": p.get("Name", resource_name),
            "description": p.get("Description"),
            "enabled": as_bool(p.get("Enabled", False)),
            "stageKeys": [
                {"restApiId": s.get("RestApiId"), "stageName": s.get("StageName")}
                for s in p.get("StageKeys", [])
            ],
        }
        if "Value" in p:
            payload["value"] = p["Value"]
        if "CustomerId" in p:
            payload["customerId"] = p["CustomerId"]
        if p.get("Tags"):
            payload["tags"] = tag_map(p["Tags"])
        key = _api(account_id, region_name).create_api_key(payload)
        return cls(key.id)

    def delete(self, account_id: str, region_name: str) -> None:
        _api(account_id, region_name).delete_api_key(self.ref)


class UsagePlanKey(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::ApiGateway::UsagePlanKey"
    ATTRIBUTES = {"Id": "ref"}

    def __init__(self, plan_id: str, key_id: str):
        self.plan_id = plan_id
        self.ref = key_id

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        _api(account_id, region_name).create_usage_plan_key(
            p["UsagePlanId"], {"keyId": p["KeyId"], "keyType": p["KeyType"]}
        )
        return cls(p["UsagePlanId"], p["KeyId"])

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _api(account_id, region_name)
        if self.plan_id in backend.usage_plan_keys:
            backend.delete_usage_plan_key(self.plan_id, self.ref)


class RequestValidator(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::ApiGateway::RequestValidator"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = {"RequestValidatorId": "ref"}

    def __init__(self, api_id: str, validator_id: str):
        self.api_id = api_id
        self.ref = validator_id

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        validator = _api(account_id, region_name).create_request_validator(
            restapi_id=p["RestApiId"],
            name=p.get("Name", resource_name),
            body=as_bool(p.get("ValidateRequestBody", False)),
            params=as_bool(p.get("ValidateRequestParameters", False)),
        )
        return cls(p["RestApiId"], validator.id)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _api(account_id, region_name)
        if self.api_id in backend.apis:
            backend.delete_request_validator(self.api_id, self.ref)


class ApiModel(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::ApiGateway::Model"
    NAME_PROPERTY = "Name"
    ATTRIBUTES: dict[str, str] = {}

    def __init__(self, api_id: str, name: str):
        self.api_id = api_id
        self.ref = name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        schema = p.get("Schema")
        name = p.get("Name", resource_name.replace("-", ""))
        _api(account_id, region_name).create_model(
            rest_api_id=p["RestApiId"],
            name=name,
            content_type=p.get("ContentType", "application/json"),
            description=p.get("Description", ""),
            schema=schema if isinstance(schema, str) or schema is None else json.dumps(schema),
        )
        return cls(p["RestApiId"], name)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _api(account_id, region_name)
        if self.api_id in backend.apis:
            backend.delete_model(self.api_id, self.ref)


class ApiAccount(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::ApiGateway::Account"
    ATTRIBUTES = {"Id": "ref"}

    def __init__(self, ref: str):
        self.ref = ref

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        if p.get("CloudWatchRoleArn"):
            _api(account_id, region_name).update_account(
                [{"op": "replace", "path": "/cloudwatchRoleArn", "value": p["CloudWatchRoleArn"]}]
            )
        return cls(resource_name)

    def delete(self, account_id: str, region_name: str) -> None:
        # Account settings are regional singletons; AWS leaves them as they are.
        return None


def method_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    p = cloudformation_json["Properties"]
    api_id = p["RestApiId"]
    resource_id = p["ResourceId"]
    http_method = p["HttpMethod"]
    backend = apigw.apigateway_backends[account_id][region_name]
    method = backend.put_method(
        function_id=api_id,
        resource_id=resource_id,
        method_type=http_method,
        authorization_type=p.get("AuthorizationType", "NONE"),
        api_key_required=as_bool(p.get("ApiKeyRequired", False)),
        request_parameters={k: as_bool(v) for k, v in (p.get("RequestParameters") or {}).items()} or None,
        request_models=p.get("RequestModels"),
        operation_name=p.get("OperationName"),
        authorizer_id=p.get("AuthorizerId"),
        authorization_scopes=p.get("AuthorizationScopes"),
        request_validator_id=p.get("RequestValidatorId"),
    )
    for response in p.get("MethodResponses", []):
        backend.put_method_response(
            function_id=api_id,
            resource_id=resource_id,
            method_type=http_method,
            response_code=str(response["StatusCode"]),
            response_models=response.get("ResponseModels"),
            response_parameters={
                k: as_bool(v) for k, v in (response.get("ResponseParameters") or {}).items()
            }
            or None,
        )
    integration = p.get("Integration")
    if integration:
        backend.put_integration(
            function_id=api_id,
            resource_id=resource_id,
            method_type=http_method,
            integration_type=integration["Type"],
            uri=integration.get("Uri"),
            integration_method=integration.get("IntegrationHttpMethod"),
            credentials=integration.get("Credentials"),
            request_templates=integration.get("RequestTemplates"),
            passthrough_behavior=integration.get("PassthroughBehavior"),
            tls_config=integration.get("TlsConfig"),
            cache_namespace=integration.get("CacheNamespace"),
            timeout_in_millis=integration.get("TimeoutInMillis"),
            request_parameters=integration.get("RequestParameters"),
            content_handling=integration.get("ContentHandling"),
            connection_type=integration.get("ConnectionType"),
        )
        for response in integration.get("IntegrationResponses", []):
            backend.put_integration_response(
                function_id=api_id,
                resource_id=resource_id,
                method_type=http_method,
                status_code=str(response["StatusCode"]),
                selection_pattern=response.get("SelectionPattern"),
                response_templates=response.get("ResponseTemplates"),
                response_parameters=response.get("ResponseParameters"),
                content_handling=response.get("ContentHandling"),
            )
    method.streamkit_location = (api_id, resource_id)
    return method


def method_delete(self: Any, account_id: str, region_name: str) -> None:
    api_id, resource_id = self.streamkit_location
    backend = apigw.apigateway_backends[account_id][region_name]
    api = backend.apis.get(api_id)
    if api and resource_id in api.resources:
        api.resources[resource_id].resource_methods.pop(self.http_method, None)


def method_physical_id(self: Any) -> str:
    return f"{self.streamkit_location[0]}|{self.streamkit_location[1]}|{self.http_method}"


def resource_delete(self: Any, account_id: str, region_name: str) -> None:
    backend = apigw.apigateway_backends[account_id][region_name]
    api = backend.apis.get(self.api_id)
    if api:
        api.resources.pop(self.id, None)


def _deployment_after(deployment: Any, props: dict[str, Any], account_id: str, region_name: str) -> None:
    deployment.streamkit_api_id = props["RestApiId"]


def deployment_delete(self: Any, account_id: str, region_name: str) -> None:
    backend = apigw.apigateway_backends[account_id][region_name]
    api = backend.apis.get(getattr(self, "streamkit_api_id", ""))
    if api:
        api.deployments.pop(self.id, None)


def restapi_delete(self: Any, account_id: str, region_name: str) -> None:
    backend = apigw.apigateway_backends[account_id][region_name]
    if self.id in backend.apis:
        backend.delete_rest_api(self.id)


def _restapi_before(props: dict[str, Any]) -> None:
    props.setdefault("Description", "")


def _restapi_after(api: Any, props: dict[str, Any], account_id: str, region_name: str) -> None:
    config = props.get("EndpointConfiguration")
    if config:
        api.endpoint_configuration = {"types": list(config.get("Types", ["EDGE"]))}
        if config.get("VpcEndpointIds"):
            api.endpoint_configuration["vpcEndpointIds"] = list(config["VpcEndpointIds"])
    if "Policy" in props:
        import json

        policy = props["Policy"]
        api.policy = policy if isinstance(policy, str) else json.dumps(policy)
    if "Tags" in props:
        api.tags = tag_map(props["Tags"])
    if "ApiKeySourceType" in props:
        api.api_key_source = props["ApiKeySourceType"]
    if "DisableExecuteApiEndpoint" in props:
        api.disableExecuteApiEndpoint = as_bool(props["DisableExecuteApiEndpoint"])


def install() -> None:
    """Applies this module's patches to moto (once, from `streamkit_emulator.install`)."""
    apigw.Method.create_from_cloudformation_json = classmethod(method_create)
    apigw.Method.delete = method_delete
    apigw.Method.physical_resource_id = property(method_physical_id)
    apigw.Resource.delete = resource_delete
    wrap_create(apigw.Deployment, _deployment_after)
    apigw.Deployment.delete = deployment_delete
    apigw.Deployment.physical_resource_id = property(lambda self: self.id)
    apigw.RestAPI.delete = restapi_delete
    wrap_create(apigw.RestAPI, _restapi_after, _restapi_before)
    apigw_snapshot.install_hook(apigw.RestAPI)
