"""Functions run natively: results, errors, crashes, timeouts, init errors,
environment, warm reuse, logs, concurrency and the wrong-architecture reason."""
from __future__ import annotations

import base64
import json
import threading
import uuid

import pytest

from conftest import HOST_ARCH, OTHER_ARCH, log_messages, wait_for


def call(aws, name: str, event: dict, **kw):
    resp = aws("lambda").invoke(FunctionName=name, Payload=json.dumps(event).encode(), **kw)
    return resp, json.loads(resp["Payload"].read() or b"null")


def test_a_function_runs_with_the_lambda_environment_and_stays_warm(aws, make_function, endpoint):
    name = make_function("echo", Timeout=10, MemorySize=256, Environment={"Variables": {
        "USER_SETTING": "x", "AWS_REGION": "eu-west-9",
        "USER_API": "https://abc123.execute-api.us-east-1.amazonaws.com/prod/predictFare"}})
    resp, out = call(aws, name, {"hello": 1}, LogType="Tail")
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp, out
    assert out["event"] == {"hello": 1}
    env = out["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1", "reserved variables win"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert env["AWS_ENDPOINT_URL"] == endpoint
    assert env["USER_SETTING"] == "x" and env["TZ"] == ":UTC" and env["_HANDLER"] == "bootstrap"
    assert env["USER_API"] == f"{endpoint}/_aws/execute-api/abc123/prod/predictFare"
    assert out["cwd"] == env["LAMBDA_TASK_ROOT"]
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API"):
        assert env[key], key
    headers = out["headers"]
    assert headers["lambda-runtime-invoked-function-arn"].endswith(f":function:{name}")
    assert int(headers["lambda-runtime-deadline-ms"]) > 0 and headers["lambda-runtime-trace-id"].startswith("Root=1-")
    assert "handling echo" in base64.b64decode(resp["LogResult"]).decode()

    _, again = call(aws, name, {"hello": 2})
    assert again["pid"] == out["pid"], "the warm environment is reused"
    messages = wait_for(lambda: [m for m in log_messages(aws("logs"), f"/aws/lambda/{name}") if m.startswith("REPORT")][1:] and log_messages(aws("logs"), f"/aws/lambda/{name}"), what="two REPORT lines")
    assert any(m.startswith("START RequestId: ") and m.endswith("Version: $LATEST") for m in messages)
    assert any(m.startswith("END RequestId: ") for m in messages)
    report = [m for m in messages if m.startswith("REPORT")]
    assert "Init Duration" in report[0] and "Init Duration" not in report[1], report
    assert "Memory Size: 256 MB" in report[0]


def test_an_error_the_function_reports_is_an_unhandled_function_error(aws, make_function):
    name = make_function("echo")
    resp, out = call(aws, name, {"action": "fail"})
    assert resp["StatusCode"] == 200 and resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "ValueError" and out["errorMessage"] == "the event asked for a failure"


def test_a_crash_is_a_runtime_exit_error_and_the_next_invocation_starts_fresh(aws, make_function):
    name = make_function("echo")
    _, first = call(aws, name, {})
    resp, out = call(aws, name, {"action": "crash"})
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.ExitError"
    assert out["errorMessage"].startswith("RequestId: ") and out["errorMessage"].endswith(
        "Error: Runtime exited with error: exit status 3")
    _, after = call(aws, name, {})
    assert after["pid"] != first["pid"]
    messages = log_messages(aws("logs"), f"/aws/lambda/{name}")
    assert "crashing now" in messages
    assert any("Status: error\tError Type: Runtime.ExitError" in m for m in messages)


def test_a_timeout_kills_the_environment_and_fails_like_lambda(aws, make_function):
    name = make_function("echo", Timeout=1)
    resp, out = call(aws, name, {"action": "sleep", "seconds": 30})
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Sandbox.Timedout"
    assert out["errorMessage"].endswith("Task timed out after 1.00 seconds")
    messages = log_messages(aws("logs"), f"/aws/lambda/{name}")
    assert any(m.endswith("Task timed out after 1.00 seconds") for m in messages)
    assert any(m.startswith("REPORT") and "Status: timeout" in m for m in messages)
    _, out = call(aws, name, {})
    assert out["event"] == {}, "a new environment answers after the timeout"


def test_an_init_error_fails_the_invocation_with_the_reported_error(aws, make_function):
    name = make_function("init_error")
    resp, out = call(aws, name, {})
    assert resp["FunctionError"] == "Unhandled"
    assert out == {"errorMessage": "CONFIG_TABLE is not set", "errorType": "Runtime.ConfigError", "stackTrace": []}
    messages = log_messages(aws("logs"), f"/aws/lambda/{name}")
    assert "loading configuration" in messages
    assert any(m.startswith("INIT_REPORT") and "Error Type: Runtime.ConfigError" in m for m in messages)


def test_a_runtime_that_exits_during_init_is_a_runtime_exit_error(aws, make_function):
    name = make_function("init_error", Environment={"Variables": {"INIT_MODE": "exit"}})
    resp, out = call(aws, name, {})
    assert resp["FunctionError"] == "Unhandled" and out["errorType"] == "Runtime.ExitError"
    assert out["errorMessage"].startswith("RequestId: ")
    assert out["errorMessage"].endswith("Error: Runtime exited with error: exit status 4")


def test_a_function_for_another_architecture_fails_with_the_rebuild_command(aws, make_function):
    name = make_function("echo", arch=OTHER_ARCH)
    resp, out = call(aws, name, {})
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.InvalidEntrypoint"
    assert f"streamkit build-dist --arch {HOST_ARCH}" in out["errorMessage"] and "\n" not in out["errorMessage"]
    assert out["errorMessage"] in log_messages(aws("logs"), f"/aws/lambda/{name}")


def test_a_bootstrap_built_for_another_architecture_is_caught_by_its_elf_header(aws, role):
    import io
    import zipfile

    machine = {"x86_64": 0xB7, "arm64": 0x3E}[HOST_ARCH]  # the other one
    header = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + (2).to_bytes(2, "little") + machine.to_bytes(2, "little")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o100755 << 16
        z.writestr(info, header + b"\0" * 64)
    name = f"elf-{uuid.uuid4().hex[:8]}"
    aws("lambda").create_function(FunctionName=name, Runtime="provided.al2023", Handler="bootstrap", Role=role,
                                  Code={"ZipFile": buf.getvalue()}, Architectures=[HOST_ARCH])
    resp, out = call(aws, name, {})
    assert resp["FunctionError"] == "Unhandled" and out["errorType"] == "Runtime.InvalidEntrypoint"
    assert out["errorMessage"].startswith(f"bootstrap is an ELF executable for {OTHER_ARCH} but this host runs {HOST_ARCH}")
    assert f"streamkit build-dist --arch {HOST_ARCH}" in out["errorMessage"]


def test_logs_go_to_the_configured_log_group_in_json_format(aws, make_function):
    group = f"/streamkit/test/{uuid.uuid4().hex[:8]}"
    aws("logs").create_log_group(logGroupName=group)
    name = make_function("echo", LoggingConfig={"LogFormat": "JSON", "LogGroup": group})
    _, out = call(aws, name, {})
    assert out["env"]["AWS_LAMBDA_LOG_GROUP_NAME"] == group
    records = [json.loads(m) for m in log_messages(aws("logs"), group) if m.startswith("{")]
    kinds = [r["type"] for r in records]
    assert kinds[:1] == ["platform.start"] and "platform.report" in kinds, kinds
    assert "handling echo" in log_messages(aws("logs"), group)


def test_reserved_concurrency_throttles_and_event_invocations_run_in_the_background(aws, make_function):
    name = make_function("echo", Timeout=10)
    aws("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    slow = threading.Thread(target=call, args=(aws, name, {"action": "sleep", "seconds": 3}))
    slow.start()
    wait_for(lambda: "handling sleep" in log_messages(aws("logs"), f"/aws/lambda/{name}"), what="the slow call")
    with pytest.raises(aws("lambda").exceptions.TooManyRequestsException):
        call(aws, name, {})
    slow.join()
    resp = aws("lambda").invoke(FunctionName=name, InvocationType="Event", Payload=b'{"action": "async"}')
    assert resp["StatusCode"] == 202
    wait_for(lambda: "handling async" in log_messages(aws("logs"), f"/aws/lambda/{name}"), what="the event invocation")
    assert aws("lambda").invoke(FunctionName=name, InvocationType="DryRun")["StatusCode"] == 204


def sample_count(cloudwatch, name: str, metric: str) -> float:
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/Lambda", MetricName=metric, Dimensions=[{"Name": "FunctionName", "Value": name}],
        StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=1), Period=300,
        Statistics=["SampleCount", "Sum"])["Datapoints"]
    return sum(p["SampleCount"] for p in points)


def throttles(cloudwatch, name: str) -> float:
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/Lambda", MetricName="Throttles", Dimensions=[{"Name": "FunctionName", "Value": name}],
        StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=1), Period=300,
        Statistics=["Sum"])["Datapoints"]
    return sum(p["Sum"] for p in points)


def test_reserved_concurrency_zero_throttles_even_a_warm_function(aws, make_function):
    """"Configuring reserved concurrency" (Lambda Developer Guide): reserved
    concurrency 0 stops every invocation; Invoke answers 429
    TooManyRequestsException ("Invoke", Lambda API Reference), counted as
    Throttles. A warm environment must not be handed out past the limit."""
    name = make_function("echo")
    call(aws, name, {})  # a warm environment exists
    aws("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(aws("lambda").exceptions.TooManyRequestsException):
        call(aws, name, {})
    assert throttles(aws("cloudwatch"), name) >= 1  # the client may retry a 429 once
    aws("lambda").delete_function_concurrency(FunctionName=name)
    assert "FunctionError" not in call(aws, name, {})[0]


def test_invocations_publish_the_aws_lambda_metrics(aws, make_function):
    name = make_function("echo")
    call(aws, name, {})
    call(aws, name, {"action": "fail"})
    cloudwatch = aws("cloudwatch")

    def stats(metric: str) -> dict:
        from datetime import datetime, timedelta, timezone

        now = datetime.now(timezone.utc)
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda", MetricName=metric, Dimensions=[{"Name": "FunctionName", "Value": name}],
            StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=1), Period=300,
            Statistics=["Sum", "Maximum"])["Datapoints"]
        return {"Sum": sum(p["Sum"] for p in points), "Maximum": max((p["Maximum"] for p in points), default=0)}

    assert stats("Invocations")["Sum"] == 2
    assert stats("Errors")["Sum"] == 1
    # "Types of metrics for Lambda functions" (Lambda Developer Guide): Errors
    # and Throttles exist with value 0 for invocations that did not fail.
    assert sample_count(cloudwatch, name, "Errors") == 2
    assert sample_count(cloudwatch, name, "Throttles") == 2 and stats("Throttles")["Sum"] == 0
    assert stats("Duration")["Maximum"] > 0
    assert stats("ConcurrentExecutions")["Maximum"] == 1


def test_function_processes_die_with_the_emulator_even_on_sigkill():
    import os
    import signal

    import boto3

    from conftest import package, start_server

    proc, url = start_server()
    try:
        def client(service: str):
            return boto3.client(service, endpoint_url=url, region_name="us-east-1")

        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"Service": "lambda.amazonaws.com"}}]}
        role = client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        client("lambda").create_function(FunctionName="warm", Runtime="provided.al2023", Handler="bootstrap",
                                         Role=role, Code={"ZipFile": package("echo")}, Architectures=[HOST_ARCH])
        out = json.loads(client("lambda").invoke(FunctionName="warm", Payload=b"{}")["Payload"].read())
        child = out["pid"]
        os.kill(child, 0)  # the warm environment is alive
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def gone() -> bool:
        try:
            with open(f"/proc/{child}/stat") as f:
                return f.read().split(")")[-1].split()[0] == "Z"  # reaped by init soon
        except FileNotFoundError:
            return True

    wait_for(gone, timeout=10, what=f"bootstrap (pid {child}) to die with the emulator")


def test_a_function_whose_code_object_is_missing_is_not_created(aws, role):
    """"CreateFunction" (Lambda API Reference): a Code.S3Key that does not exist
    is refused with InvalidParameterValueException ("Error occurred while
    GetObject. S3 Error Code: NoSuchKey ..."); through CloudFormation the
    function's create fails and the stack rolls back."""
    s3, lam, cfn = aws("s3"), aws("lambda"), aws("cloudformation")
    s3.create_bucket(Bucket="code-missing")
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="S3 Error Code: NoSuchKey"):
        lam.create_function(FunctionName="no-code", Runtime="provided.al2023", Handler="bootstrap", Role=role,
                            Code={"S3Bucket": "code-missing", "S3Key": "nothing.zip"})
    template = {"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {
        "Runtime": "provided.al2023", "Handler": "bootstrap", "Role": role,
        "Code": {"S3Bucket": "code-missing", "S3Key": "nothing.zip"}}}}}
    cfn.create_stack(StackName="code-missing", TemplateBody=json.dumps(template))
    stack = wait_for(lambda: (s := cfn.describe_stacks(StackName="code-missing")["Stacks"][0])["StackStatus"]
                     .endswith("COMPLETE") and s, what="the stack to settle")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [e for e in cfn.describe_stack_events(StackName="code-missing")["StackEvents"]
              if e["LogicalResourceId"] == "Fn" and e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed and "S3 Error Code: NoSuchKey" in failed[0]["ResourceStatusReason"]
    assert "no-code" not in [f["FunctionName"] for f in lam.list_functions()["Functions"]]
