"""IAM enforced on the running emulator (`--iam on`, the default): callers are
the principals of their access keys, denials come back in each service's
shape and are listed; pages followed: IAM User Guide "Policy evaluation
logic", "Cross-account policy evaluation logic", "Troubleshoot access denied
error messages"; STS "AssumeRole", "GetCallerIdentity"; Lambda "Process
Amazon Kinesis Data Streams records with Lambda" (execution role permissions)."""
from __future__ import annotations

import json
import urllib.request
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import HOST_ARCH, package, wait_for
from esm_support import delivered, new_stream, put

ACCOUNT = "123456789012"
OTHER = "111111111111"


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def session(endpoint: str, key: str, secret: str, token: str | None = None):
    return boto3.Session(aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
                         region_name="us-east-1")


def clients(endpoint: str, creds: dict):
    s = session(endpoint, creds["AccessKeyId"], creds["SecretAccessKey"], creds.get("SessionToken"))
    return lambda service: s.client(service, endpoint_url=endpoint)


def user(aws, endpoint: str, *statements: dict):
    """A new IAM user with exactly `statements` as its inline policy; its clients and ARN."""
    iam = aws("iam")
    name = f"u-{uuid.uuid4().hex[:8]}"
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(*statements))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return clients(endpoint, key), arn, name


def denials(endpoint: str) -> list[dict]:
    with urllib.request.urlopen(endpoint + "/_streamkit/iam/denials") as r:
        return json.load(r)["denials"]


def test_a_user_gets_exactly_its_policies_and_a_json_service_answers_access_denied_exception(aws, endpoint):
    stream = new_stream(aws)
    name = stream.rsplit("/", 1)[-1]
    client, arn, _ = user(aws, endpoint, {"Effect": "Allow", "Action": "kinesis:Describe*", "Resource": stream})
    kinesis = client("kinesis")
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"] == stream
    with pytest.raises(ClientError) as denied:
        kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")
    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    expected = (f"User: {arn} is not authorized to perform: kinesis:PutRecord on resource: {stream} "
                f"because no identity-based policy allows the kinesis:PutRecord action")
    assert error["Message"] == expected
    listed = [d for d in denials(endpoint) if d["principal"] == arn]
    assert [(d["action"], d["resource"], d["via"], d["message"]) for d in listed] == [
        ("kinesis:PutRecord", stream, "request", expected)]
    assert client("sts").get_caller_identity()["Arn"] == arn  # always allowed


def test_get_records_is_authorized_on_the_stream_its_iterator_reads(aws, endpoint):
    """GetRecords carries only a shard iterator; a grant on the stream's ARN
    allows it, and a grant on another stream does not."""
    stream = new_stream(aws)
    name = stream.rsplit("/", 1)[-1]
    other = new_stream(aws)
    read = ["kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"]
    allowed, _, _ = user(aws, endpoint, {"Effect": "Allow", "Action": read, "Resource": stream})
    kinesis = allowed("kinesis")
    shard = kinesis.list_shards(StreamName=name)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert kinesis.get_records(ShardIterator=iterator)["Records"] == []
    elsewhere, _, _ = user(aws, endpoint, {"Effect": "Allow", "Action": read, "Resource": other},
                           {"Effect": "Allow", "Action": "kinesis:GetShardIterator", "Resource": stream})
    iterator = elsewhere("kinesis").get_shard_iterator(StreamName=name, ShardId=shard,
                                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    with pytest.raises(ClientError) as denied:
        elsewhere("kinesis").get_records(ShardIterator=iterator)
    assert f"kinesis:GetRecords on resource: {stream} " in denied.value.response["Error"]["Message"]


def test_an_explicit_deny_wins_and_s3_answers_access_denied_in_xml(aws, endpoint):
    bucket = f"iam-{uuid.uuid4().hex[:8]}"
    aws("s3").create_bucket(Bucket=bucket)
    client, arn, _ = user(aws, endpoint, {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                          {"Effect": "Deny", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/secret/*"})
    s3 = client("s3")
    s3.put_object(Bucket=bucket, Key="open/a", Body=b"1")
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket=bucket, Key="secret/a", Body=b"1")
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert denied.value.response["Error"]["Message"] == (
        f'User: {arn} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::{bucket}/secret/a" '
        f'because with an explicit deny in an identity-based policy')


def test_a_principal_without_lambda_invoke_function_is_denied_until_the_function_policy_names_it(aws, endpoint, role):
    fn = f"iam-echo-{uuid.uuid4().hex[:6]}"
    aws("lambda").create_function(FunctionName=fn, Runtime="provided.al2023", Handler="bootstrap", Role=role,
                                  Code={"ZipFile": package("echo")}, Architectures=[HOST_ARCH])
    client, arn, _ = user(aws, endpoint, {"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": "*"})
    lam = client("lambda")
    with pytest.raises(ClientError) as denied:
        lam.invoke(FunctionName=fn, Payload=b"{}")
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "is not authorized to perform: lambda:InvokeFunction on resource: " \
           f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{fn}" in denied.value.response["Error"]["Message"]
    # Same account: a resource-based policy naming the principal is enough.
    aws("lambda").add_permission(FunctionName=fn, StatementId="u", Action="lambda:InvokeFunction", Principal=arn)
    assert lam.invoke(FunctionName=fn, Payload=b'{"a": 1}')["StatusCode"] == 200


def test_assumed_role_sessions_carry_the_role_s_policies_and_the_trust_policy_decides(aws, endpoint):
    iam = aws("iam")
    client, user_arn, _ = user(aws, endpoint, {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    name = f"r-{uuid.uuid4().hex[:8]}"
    trust = doc({"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"})
    role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="p",
                        PolicyDocument=doc({"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"}))
    creds = client("sts").assume_role(RoleArn=role_arn, RoleSessionName="s1")["Credentials"]
    role = clients(endpoint, creds)
    assert role("sts").get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/s1"
    role("sqs").list_queues()
    with pytest.raises(ClientError) as denied:
        role("sns").list_topics()
    assert denied.value.response["Error"]["Message"].startswith(
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{name}/s1 is not authorized to perform: sns:ListTopics")
    with pytest.raises(ClientError) as bad_token:
        clients(endpoint, dict(creds, SessionToken="forged"))("sqs").list_queues()
    assert bad_token.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403)
    # A role whose trust policy does not name the user cannot be assumed, whatever the user's policy says.
    other = iam.create_role(RoleName=name + "-x", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    with pytest.raises(ClientError) as untrusted:
        client("sts").assume_role(RoleArn=other, RoleSessionName="s2")
    assert "sts:AssumeRole" in untrusted.value.response["Error"]["Message"]
    assert "no resource-based policy allows" in untrusted.value.response["Error"]["Message"]


def test_a_request_from_another_account_is_denied_without_the_bucket_policy_granting_it(aws, endpoint):
    bucket = f"iam-x-{uuid.uuid4().hex[:8]}"
    s3 = aws("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"mine")
    # A role in the other account that its own root may assume, allowed s3:* there.
    other_iam = aws("iam")
    other_iam.meta.events.register("before-sign.iam.*", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", OTHER))
    name = f"x-{uuid.uuid4().hex[:6]}"
    other_iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}))
    other_iam.put_role_policy(RoleName=name, PolicyName="p",
                              PolicyDocument=doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
    creds = aws("sts").assume_role(RoleArn=f"arn:aws:iam::{OTHER}:role/{name}", RoleSessionName="xs")["Credentials"]
    foreign = clients(endpoint, creds)
    assert foreign("sts").get_caller_identity()["Account"] == OTHER
    with pytest.raises(ClientError) as denied:
        foreign("s3").get_object(Bucket=bucket, Key="k")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert "because no resource-based policy allows the s3:GetObject action" in denied.value.response["Error"]["Message"]
    # Granted by the bucket policy, the other account reads.
    s3.put_bucket_policy(Bucket=bucket, Policy=doc({"Effect": "Allow", "Principal": {"AWS": OTHER},
                                                    "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}))
    assert foreign("s3").get_object(Bucket=bucket, Key="k")["Body"].read() == b"mine"


def test_a_mapping_whose_role_lacks_get_records_reports_it_and_recovers(aws, endpoint):
    iam = aws("iam")
    name = f"esm-{uuid.uuid4().hex[:8]}"
    role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    reads = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetShardIterator",
             "kinesis:ListShards"]
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=doc(
        {"Effect": "Allow", "Action": reads, "Resource": "*"}))
    fn = f"stream-{uuid.uuid4().hex[:8]}"
    aws("lambda").create_function(FunctionName=fn, Runtime="provided.al2023", Handler="bootstrap", Role=role_arn,
                                  Code={"ZipFile": package("stream")}, Architectures=[HOST_ARCH])
    stream = new_stream(aws)
    mapping = aws("lambda").create_event_source_mapping(FunctionName=fn, EventSourceArn=stream,
                                                        StartingPosition="TRIM_HORIZON", BatchSize=10)["UUID"]
    put(aws, stream, [("k", "a"), ("k", "b")])

    def result():
        return aws("lambda").get_event_source_mapping(UUID=mapping).get("LastProcessingResult") or ""

    problem = wait_for(lambda: result().startswith("PROBLEM") and result(), what="LastProcessingResult PROBLEM")
    assert "kinesis:GetRecords" in problem and f"assumed-role/{name}/{fn}" in problem
    assert delivered(aws, fn) == []
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=doc(
        {"Effect": "Allow", "Action": reads + ["kinesis:GetRecords"], "Resource": "*"}))
    assert wait_for(lambda: delivered(aws, fn) == ["a", "b"], what="the records once the role may read")
    assert result() == "OK"


def test_create_function_refuses_a_role_lambda_cannot_assume(aws):
    with pytest.raises(ClientError) as refused:
        aws("lambda").create_function(FunctionName="no-role", Runtime="provided.al2023", Handler="bootstrap",
                                      Role=f"arn:aws:iam::{ACCOUNT}:role/does-not-exist",
                                      Code={"ZipFile": package("echo")}, Architectures=[HOST_ARCH])
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert refused.value.response["Error"]["Message"] == "The role defined for the function cannot be assumed by Lambda."
    assert "no-role" not in [f["FunctionName"] for f in aws("lambda").list_functions()["Functions"]]


def test_a_request_without_tls_to_a_tls_only_bucket_is_denied():
    """The stacks' DenyInsecureTransport statement (templates/storage/output-bucket.yaml): a
    plain-HTTP request is not secure transport. The emulator counts loopback as TLS by default;
    this one is started with STREAMKIT_EMULATOR_LOOPBACK_TLS=0, so the test stays on loopback."""
    import os
    import subprocess
    import sys
    import time

    from conftest import ROOT, _free_port

    address = "127.0.0.1"
    port = _free_port()
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "server.py"), "--host", address, "--port", str(port),
                             "--strict"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, STREAMKIT_EMULATOR_LOOPBACK_TLS="0"))
    try:
        url = f"http://{address}:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=2)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the emulator did not start"
                time.sleep(0.1)
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
        s3.create_bucket(Bucket="tls-only")
        s3.put_bucket_policy(Bucket="tls-only", Policy=doc(
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": ["arn:aws:s3:::tls-only", "arn:aws:s3:::tls-only/*"],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}))
        with pytest.raises(ClientError) as denied:
            s3.put_object(Bucket="tls-only", Key="k", Body=b"1")
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
        assert denied.value.response["Error"]["Message"] == (
            f'User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: s3:PutObject on resource: '
            f'"arn:aws:s3:::tls-only/k" because with an explicit deny in a resource-based policy')
    finally:
        proc.kill()
        proc.wait()


def test_strict_mode_refuses_a_policy_the_evaluator_cannot_evaluate(aws):
    iam = aws("iam")
    iam.create_user(UserName="strict-u")
    with pytest.raises(ClientError) as refused:
        iam.put_user_policy(UserName="strict-u", PolicyName="p", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
             "Condition": {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}}))
    assert refused.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    assert "condition key aws:TokenIssueTime" in refused.value.response["Error"]["Message"]
    assert iam.list_user_policies(UserName="strict-u")["PolicyNames"] == []
    # Through CloudFormation: the role fails, the stack rolls back, nothing is left.
    template = {"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": "strict-role",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringSometimes": {"aws:SourceIp": "x"}}}]}}]}}}}
    cfn = aws("cloudformation")
    cfn.create_stack(StackName="strict-iam", TemplateBody=json.dumps(template))
    stack = cfn.describe_stacks(StackName="strict-iam")["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "condition operator StringSometimes" in stack["StackStatusReason"]
    assert "strict-role" not in [r["RoleName"] for r in iam.list_roles()["Roles"]]


def test_the_policy_simulator_answers_with_the_same_evaluator(aws):
    iam = aws("iam")
    policy = doc({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/data/*"},
                 {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/data/secret/*"},
                 {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
                  "Condition": {"StringEquals": {"cloudwatch:namespace": "Streamkit/Processor"}}})
    got = iam.simulate_custom_policy(
        PolicyInputList=[policy], ActionNames=["s3:PutObject"],
        ResourceArns=["arn:aws:s3:::b/data/k", "arn:aws:s3:::b/data/secret/k", "arn:aws:s3:::b/late/k"])
    assert [(r["EvalResourceName"], r["EvalDecision"]) for r in got["EvaluationResults"]] == [
        ("arn:aws:s3:::b/data/k", "allowed"), ("arn:aws:s3:::b/data/secret/k", "explicitDeny"),
        ("arn:aws:s3:::b/late/k", "implicitDeny")]
    assert got["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    metrics = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["cloudwatch:PutMetricData"])
    assert metrics["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    assert metrics["EvaluationResults"][0]["MissingContextValues"] == ["cloudwatch:namespace"]
    with_ns = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["cloudwatch:PutMetricData"],
                                         ContextEntries=[{"ContextKeyName": "cloudwatch:namespace",
                                                          "ContextKeyValues": ["Streamkit/Processor"],
                                                          "ContextKeyType": "string"}])
    assert with_ns["EvaluationResults"][0]["EvalDecision"] == "allowed"
    name = f"sim-{uuid.uuid4().hex[:6]}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole")
    got = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["kinesis:GetRecords", "kinesis:PutRecord"],
                                        ResourceArns=[f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/s"])
    assert [r["EvalDecision"] for r in got["EvaluationResults"]] == ["allowed", "implicitDeny"]
    assert got["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyId"] == "AWSLambdaKinesisExecutionRole"


def test_every_allowed_principal_action_and_resource_is_listed(aws, endpoint):
    stream = new_stream(aws)
    client, arn, _ = user(aws, endpoint, {"Effect": "Allow", "Action": "kinesis:DescribeStreamSummary",
                                          "Resource": stream})
    client("kinesis").describe_stream_summary(StreamARN=stream)
    with urllib.request.urlopen(endpoint + "/_streamkit/iam/allowed") as r:
        allowed = json.load(r)["allowed"]
    assert {"principal": arn, "action": "kinesis:DescribeStreamSummary", "resource": stream} in allowed


def test_dynamodb_transactions_are_authorized_per_item_action(aws, endpoint):
    """"Using IAM with DynamoDB transactions": TransactWriteItems needs PutItem,
    UpdateItem, DeleteItem or ConditionCheckItem on each item's table."""
    ddb = aws("dynamodb")
    table = f"t-{uuid.uuid4().hex[:6]}"
    ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    table_arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{table}"
    client, arn, _ = user(aws, endpoint, {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": table_arn})
    items = [{"Put": {"TableName": table, "Item": {"pk": {"S": "a"}}}}]
    client("dynamodb").transact_write_items(TransactItems=items)
    with pytest.raises(ClientError) as denied:
        client("dynamodb").transact_write_items(TransactItems=items + [
            {"Delete": {"TableName": table, "Key": {"pk": {"S": "a"}}}}])
    assert denied.value.response["Error"]["Message"] == (
        f"User: {arn} is not authorized to perform: dynamodb:DeleteItem on resource: {table_arn} "
        f"because no identity-based policy allows the dynamodb:DeleteItem action")


def test_a_statement_removed_with_aws_no_value_is_not_part_of_the_role_policy(aws):
    template = {"Conditions": {"Never": {"Fn::Equals": ["a", "b"]}}, "Resources": {"R": {
        "Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "novalue-role",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                {"Fn::If": ["Never", {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, {"Ref": "AWS::NoValue"}]},
            ]}}]}}}}
    cfn = aws("cloudformation")
    cfn.create_stack(StackName="novalue", TemplateBody=json.dumps(template))
    assert cfn.describe_stacks(StackName="novalue")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    got = aws("iam").simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:role/novalue-role",
                                               ActionNames=["s3:GetObject", "s3:PutObject"])
    assert [r["EvalDecision"] for r in got["EvaluationResults"]] == ["allowed", "implicitDeny"]


def test_a_secret_is_authorized_by_its_arn_whatever_id_the_caller_names(aws, endpoint):
    sm = aws("secretsmanager")
    name = f"key-{uuid.uuid4().hex[:6]}"
    secret_arn = sm.create_secret(Name=name, SecretString="s3cret")["ARN"]
    client, arn, _ = user(aws, endpoint, {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                          "Resource": secret_arn})
    assert client("secretsmanager").get_secret_value(SecretId=name)["SecretString"] == "s3cret"
    other = sm.create_secret(Name=name + "-other", SecretString="x")["ARN"]
    with pytest.raises(ClientError) as denied:
        client("secretsmanager").get_secret_value(SecretId=other)
    assert f"secretsmanager:GetSecretValue on resource: {other}" in denied.value.response["Error"]["Message"]


def test_deleting_a_stack_detaches_its_roles_managed_policies(aws):
    template = {"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": "managed-role",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]}}}}
    cfn, iam = aws("cloudformation"), aws("iam")
    cfn.create_stack(StackName="managed", TemplateBody=json.dumps(template))
    attached = iam.list_attached_role_policies(RoleName="managed-role")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonSSMManagedInstanceCore"]
    cfn.delete_stack(StackName="managed")
    assert "managed-role" not in [r["RoleName"] for r in iam.list_roles()["Roles"]]


def test_batch_writes_are_authorized_on_every_table_they_name(aws, endpoint):
    """BatchWriteItem's resources are the tables of its RequestItems ("Actions,
    resources, and condition keys for Amazon DynamoDB": BatchWriteItem, table);
    a PutItem is authorized on its TableName only."""
    ddb_admin = aws("dynamodb")
    tables = []
    for _ in range(2):
        name = f"t-{uuid.uuid4().hex[:8]}"
        ddb_admin.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                               BillingMode="PAY_PER_REQUEST")
        tables.append(name)
    allowed = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{tables[0]}"
    client, arn, _ = user(aws, endpoint, {"Effect": "Allow", "Action": ["dynamodb:BatchWriteItem", "dynamodb:PutItem"],
                                          "Resource": allowed})
    ddb = client("dynamodb")
    write = lambda table: {table: [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]}  # noqa: E731
    assert ddb.batch_write_item(RequestItems=write(tables[0]))["UnprocessedItems"] == {}
    with pytest.raises(ClientError) as denied:
        ddb.batch_write_item(RequestItems={**write(tables[0]), **write(tables[1])})
    assert f"dynamodb:BatchWriteItem on resource: arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{tables[1]}" in \
        denied.value.response["Error"]["Message"]
    ddb.put_item(TableName=tables[0], Item={"pk": {"S": "b"}})
    with pytest.raises(ClientError):
        ddb.put_item(TableName=tables[1], Item={"pk": {"S": "b"}})
