"""Lambda's account concurrency quota ("Lambda quotas" and "Lambda function
scaling", Lambda Developer Guide), on an emulator started with
`--lambda-concurrency 1` (a quota as low as a new account's)."""
from __future__ import annotations

import json
import threading

import boto3
import pytest
from botocore.config import Config

from conftest import HOST_ARCH, log_messages, package, start_server, wait_for


@pytest.fixture(scope="module")
def small_account():
    proc, url = start_server("--lambda-concurrency", "1")
    config = Config(retries={"total_max_attempts": 1}, read_timeout=60)
    yield lambda service: boto3.client(service, endpoint_url=url, region_name="us-east-1", config=config,
                                       aws_access_key_id="testing", aws_secret_access_key="testing")
    proc.kill()
    proc.wait()


def _function(client, name: str) -> str:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "lambda.amazonaws.com"}}]}
    try:
        role = client("iam").create_role(RoleName="limits", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    except client("iam").exceptions.EntityAlreadyExistsException:
        role = client("iam").get_role(RoleName="limits")["Role"]["Arn"]
    client("lambda").create_function(FunctionName=name, Runtime="provided.al2023", Handler="bootstrap", Role=role,
                                     Code={"ZipFile": package("echo")}, Architectures=[HOST_ARCH], Timeout=10)
    return name


def test_unreserved_functions_share_the_account_quota(small_account):
    """The functions without a reservation share the account's concurrency:
    with a quota of 1, a second function invoked while the first runs is
    throttled (429 TooManyRequestsException) and counted as Throttles."""
    lam = small_account("lambda")
    first, second = _function(small_account, "quota-a"), _function(small_account, "quota-b")
    slow = threading.Thread(target=lam.invoke, kwargs={
        "FunctionName": first, "Payload": json.dumps({"action": "sleep", "seconds": 3}).encode()})
    slow.start()
    wait_for(lambda: "handling sleep" in log_messages(small_account("logs"), f"/aws/lambda/{first}"),
             what="the slow invocation")
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        lam.invoke(FunctionName=second, Payload=b"{}")
    slow.join()
    assert "FunctionError" not in lam.invoke(FunctionName=second, Payload=b"{}")


def test_a_reservation_must_leave_100_unreserved(small_account):
    """PutFunctionConcurrency refuses a reservation that leaves the account
    fewer than 100 unreserved executions (InvalidParameterValueException)."""
    lam = small_account("lambda")
    name = _function(small_account, "quota-c")
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="minimum value of \\[100\\]"):
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
