"""A CloudFormation template shaped like pattern 1's ingest API (the same
request templates, validator, models, AWS_IAM methods, Kinesis integration
with a credentials role, stage access log and throttling), plus two small
MOCK methods for API-key and throttling checks, deployed with boto3."""
from __future__ import annotations

import json

ACCESS_FORMAT = ('{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller",'
                 '"user":"$context.identity.user","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod",'
                 '"resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol",'
                 '"responseLength":"$context.responseLength"}')
DATA = '"Data": "$util.base64Encode($record.data)",'
KEY = '"PartitionKey": "$util.escapeJavaScript($record.partitionKey).replaceAll("\\\\\'", "\'")"'
RECORD_TEMPLATE = "#set($record = $input.path('$'))\n{\n  \"StreamName\": \"${Stream}\",\n  " + DATA + "\n  " + KEY + "\n}\n"
RECORDS_TEMPLATE = ("{\n  \"StreamName\": \"${Stream}\",\n  \"Records\": [\n#foreach($record in $input.path('$.records'))\n"
                    "    {\n      " + DATA + "\n      " + KEY + "\n    }#if($foreach.hasNext),#end\n#end\n  ]\n}\n")
RECORD_PROPS = {"required": ["data", "partitionKey"], "properties": {
    "data": {"type": "string"}, "partitionKey": {"type": "string", "minLength": 1, "maxLength": 256}}}
KEY_VALUE = "k" * 30  # the enabled key in the plan (first stack); others get their own values


def _method(resource: str, action: str, model: str) -> dict:
    template = RECORD_TEMPLATE if action == "PutRecord" else RECORDS_TEMPLATE
    return {"Type": "AWS::ApiGateway::Method", "Properties": {
        "RestApiId": {"Ref": "Api"}, "ResourceId": {"Ref": resource}, "HttpMethod": "POST",
        "AuthorizationType": "AWS_IAM", "RequestValidatorId": {"Ref": "Validator"},
        "RequestModels": {"application/json": {"Ref": model}},
        "Integration": {
            "Type": "AWS", "IntegrationHttpMethod": "POST",
            "Uri": {"Fn::Sub": f"arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:kinesis:action/{action}"},
            "Credentials": {"Fn::GetAtt": ["Role", "Arn"]}, "PassthroughBehavior": "NEVER",
            "RequestParameters": {"integration.request.header.Content-Type": "'application/x-amz-json-1.1'"},
            "RequestTemplates": {"application/json": {"Fn::Sub": template}},
            "IntegrationResponses": [{"StatusCode": "200"}, {"StatusCode": "500", "SelectionPattern": "[45]\\d{2}"}],
        },
        "MethodResponses": [{"StatusCode": "200"}, {"StatusCode": "500"}],
    }}


def _mock(resource: str, key_required: bool) -> dict:
    return {"Type": "AWS::ApiGateway::Method", "Properties": {
        "RestApiId": {"Ref": "Api"}, "ResourceId": {"Ref": resource}, "HttpMethod": "GET",
        "AuthorizationType": "NONE", "ApiKeyRequired": key_required,
        "Integration": {"Type": "MOCK", "RequestTemplates": {"application/json": '{"statusCode": 200}'},
                        "IntegrationResponses": [{"StatusCode": "200", "ResponseTemplates": {
                            "application/json": '{"ok": true, "stage": "$context.stage"}'}}]},
        "MethodResponses": [{"StatusCode": "200"}],
    }}


def template(stream_policy_resource: dict | str | None = None, tag: str = "") -> dict:
    """`tag` makes the API key values unique when several stacks are deployed."""
    policy_resource = stream_policy_resource or {"Fn::GetAtt": ["Stream", "Arn"]}
    resources = {
        "Stream": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 1}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
                "Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "put", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["kinesis:PutRecord", "kinesis:PutRecords"], "Resource": policy_resource}]}}]}},
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "ingest", "EndpointConfiguration": {"Types": ["REGIONAL"]}}},
        "Validator": {"Type": "AWS::ApiGateway::RequestValidator", "Properties": {
            "RestApiId": {"Ref": "Api"}, "Name": "body", "ValidateRequestBody": True, "ValidateRequestParameters": False}},
        "RecordModel": {"Type": "AWS::ApiGateway::Model", "Properties": {
            "RestApiId": {"Ref": "Api"}, "Name": "Record", "ContentType": "application/json",
            "Schema": {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", **RECORD_PROPS}}},
        "RecordsModel": {"Type": "AWS::ApiGateway::Model", "Properties": {
            "RestApiId": {"Ref": "Api"}, "Name": "Records", "ContentType": "application/json",
            "Schema": {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["records"],
                       "properties": {"records": {"type": "array", "minItems": 1, "maxItems": 500,
                                                  "items": {"type": "object", **RECORD_PROPS}}}}}},
        "RecordResource": {"Type": "AWS::ApiGateway::Resource", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "PathPart": "record"}},
        "RecordsResource": {"Type": "AWS::ApiGateway::Resource", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "PathPart": "records"}},
        "KeyedResource": {"Type": "AWS::ApiGateway::Resource", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "PathPart": "keyed"}},
        "SlowResource": {"Type": "AWS::ApiGateway::Resource", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "PathPart": "slow"}},
        "RecordMethod": _method("RecordResource", "PutRecord", "RecordModel"),
        "RecordsMethod": _method("RecordsResource", "PutRecords", "RecordsModel"),
        "KeyedMethod": _mock("KeyedResource", True),
        "SlowMethod": _mock("SlowResource", False),
        "Deployment": {"Type": "AWS::ApiGateway::Deployment",
                       "DependsOn": ["RecordMethod", "RecordsMethod", "KeyedMethod", "SlowMethod"],
                       "Properties": {"RestApiId": {"Ref": "Api"}}},
        "AccessLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
        "ExecutionLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": {"Fn::Sub": "API-Gateway-Execution-Logs_${Api}/prod"}, "RetentionInDays": 7}},
        "Stage": {"Type": "AWS::ApiGateway::Stage", "DependsOn": ["ExecutionLogs"], "Properties": {
            "RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": "Deployment"}, "StageName": "prod",
            "AccessLogSetting": {"DestinationArn": {"Fn::GetAtt": ["AccessLogs", "Arn"]}, "Format": ACCESS_FORMAT},
            "MethodSettings": [
                {"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": 100, "ThrottlingBurstLimit": 50,
                 "LoggingLevel": "INFO"},
                {"ResourcePath": "/slow", "HttpMethod": "GET", "ThrottlingRateLimit": 1, "ThrottlingBurstLimit": 1},
            ]}},
        "Plan": {"Type": "AWS::ApiGateway::UsagePlan", "Properties": {
            "ApiStages": [{"ApiId": {"Ref": "Api"}, "Stage": {"Ref": "Stage"}}],
            "Throttle": {"RateLimit": 1, "BurstLimit": 2}}},
        "Key": {"Type": "AWS::ApiGateway::ApiKey", "Properties": {"Enabled": True, "Value": tag + KEY_VALUE}},
        "DisabledKey": {"Type": "AWS::ApiGateway::ApiKey", "Properties": {"Enabled": False, "Value": tag + "d" * 30}},
        "LooseKey": {"Type": "AWS::ApiGateway::ApiKey", "Properties": {"Enabled": True, "Value": tag + "l" * 30}},
        "PlanKey": {"Type": "AWS::ApiGateway::UsagePlanKey", "Properties": {
            "KeyId": {"Ref": "Key"}, "KeyType": "API_KEY", "UsagePlanId": {"Ref": "Plan"}}},
        "PlanDisabledKey": {"Type": "AWS::ApiGateway::UsagePlanKey", "Properties": {
            "KeyId": {"Ref": "DisabledKey"}, "KeyType": "API_KEY", "UsagePlanId": {"Ref": "Plan"}}},
    }
    return {"Resources": resources, "Outputs": {
        "ApiId": {"Value": {"Ref": "Api"}}, "StreamName": {"Value": {"Ref": "Stream"}},
        "AccessLogGroup": {"Value": {"Ref": "AccessLogs"}}}}


def deploy(cfn, name: str, body: dict) -> dict[str, str]:
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(body), Capabilities=["CAPABILITY_IAM"])
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
