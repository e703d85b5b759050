"""The evaluator against the IAM User Guide's "Policy evaluation logic" and
"IAM JSON policy elements reference" (Action, NotAction, Resource,
NotResource, Principal, Condition operators), one test per rule."""
from __future__ import annotations

import pytest

from streamkit_emulator.iam.evaluator import Policies, Principal, Unsupported, condition_holds, evaluate, validate
from streamkit_emulator.iam import managed

ACCT = "123456789012"
ROLE = Principal("assumed-role", f"arn:aws:sts::{ACCT}:assumed-role/R/F", ACCT, name="R",
                 role_arn=f"arn:aws:iam::{ACCT}:role/R")
OTHER = Principal("assumed-role", "arn:aws:sts::111111111111:assumed-role/X/s", "111111111111", name="X",
                  role_arn="arn:aws:iam::111111111111:role/X")
ROOT = Principal("root", f"arn:aws:iam::{ACCT}:root", ACCT)
EVENTS = Principal("service", "events.amazonaws.com", ACCT, service="events.amazonaws.com")
BUCKET_OBJ = "arn:aws:s3:::b/data/k"


def allow(action, resource="*", **extra):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}]}


def deny(action, resource="*", **extra):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": action, "Resource": resource, **extra}]}


def decide(principal, action, resource, identity=(), resource_policy=None, context=None, owner="", **kw):
    return evaluate(principal, action, resource, context or {}, Policies(identity=list(identity),
                    resource=resource_policy, resource_account=owner, **kw))


def test_default_is_implicit_deny():
    d = decide(ROLE, "s3:PutObject", BUCKET_OBJ)
    assert not d.allowed
    assert d.message(ROLE, "s3:PutObject", BUCKET_OBJ) == (
        f'User: arn:aws:sts::{ACCT}:assumed-role/R/F is not authorized to perform: s3:PutObject on resource: '
        f'"{BUCKET_OBJ}" because no identity-based policy allows the s3:PutObject action')


def test_identity_allow_with_wildcards_and_case_insensitive_actions():
    assert decide(ROLE, "s3:PutObject", BUCKET_OBJ, [allow("s3:put*", "arn:aws:s3:::b/data/*")]).allowed
    assert not decide(ROLE, "s3:PutObject", "arn:aws:s3:::b/late/k", [allow("s3:Put*", "arn:aws:s3:::b/data/*")]).allowed
    assert decide(ROLE, "s3:GetObject", "arn:aws:s3:::b/x", [allow("s3:Get?bject", "arn:aws:s3:::b/?")]).allowed


def test_explicit_deny_wins_over_any_allow():
    d = decide(ROLE, "s3:PutObject", BUCKET_OBJ, [allow("s3:*"), deny("s3:PutObject", "arn:aws:s3:::b/*")])
    assert not d.allowed and d.reason == "with an explicit deny in an identity-based policy"
    d = decide(ROLE, "s3:PutObject", BUCKET_OBJ, [allow("s3:*")],
               resource_policy={"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                               "Resource": "arn:aws:s3:::b/*"}]})
    assert not d.allowed and d.reason == "with an explicit deny in a resource-based policy"


def test_not_action_and_not_resource():
    p = {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}
    assert decide(ROLE, "kinesis:GetRecords", "arn:aws:kinesis:us-east-1:1:stream/s", [p]).allowed
    assert not decide(ROLE, "iam:CreateUser", "*", [p]).allowed
    q = {"Statement": [{"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}]}
    assert decide(ROLE, "s3:GetObject", BUCKET_OBJ, [q]).allowed
    assert not decide(ROLE, "s3:GetObject", "arn:aws:s3:::secret/k", [q]).allowed


def test_same_account_resource_policy_naming_the_principal_suffices():
    rp = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": ROLE.role_arn}, "Action": "sqs:SendMessage",
                         "Resource": "*"}]}
    assert decide(ROLE, "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q", resource_policy=rp, owner=ACCT).allowed


def test_resource_policy_naming_the_account_delegates_to_identity_policies():
    rp = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "kms:*",
                         "Resource": "*"}]}
    assert not decide(ROLE, "kms:Decrypt", "arn:aws:kms:us-east-1:1:key/k", resource_policy=rp, owner=ACCT).allowed
    assert decide(ROLE, "kms:Decrypt", "arn:aws:kms:us-east-1:1:key/k", [allow("kms:Decrypt")], resource_policy=rp,
                  owner=ACCT).allowed


def test_cross_account_needs_both_sides():
    obj = "arn:aws:s3:::b/k"
    assert not decide(OTHER, "s3:GetObject", obj, [allow("s3:*")], owner=ACCT).allowed
    grant = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::b/*"}]}
    assert not decide(OTHER, "s3:GetObject", obj, [], resource_policy=grant, owner=ACCT).allowed
    assert decide(OTHER, "s3:GetObject", obj, [allow("s3:*")], resource_policy=grant, owner=ACCT).allowed


def test_root_is_allowed_but_not_past_an_explicit_deny():
    assert decide(ROOT, "kinesis:DeleteStream", "arn:aws:kinesis:us-east-1:1:stream/s").allowed
    tls = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
                          "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    assert decide(ROOT, "s3:GetObject", BUCKET_OBJ, resource_policy=tls, owner=ACCT,
                  context={"aws:securetransport": ["true"]}).allowed
    assert not decide(ROOT, "s3:GetObject", BUCKET_OBJ, resource_policy=tls, owner=ACCT,
                      context={"aws:securetransport": ["false"]}).allowed


def test_service_principal_with_source_arn_and_account():
    fn_policy = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                "Action": "lambda:InvokeFunction", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
                                "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:events:us-east-1:1:rule/r*"},
                                              "StringEquals": {"aws:SourceAccount": "1"}}}]}
    ctx = {"aws:sourcearn": ["arn:aws:events:us-east-1:1:rule/r1"], "aws:sourceaccount": ["1"]}
    fn = "arn:aws:lambda:us-east-1:1:function:f"
    assert decide(EVENTS, "lambda:InvokeFunction", fn, resource_policy=fn_policy, context=ctx).allowed
    ctx2 = dict(ctx, **{"aws:sourcearn": ["arn:aws:events:us-east-1:1:rule/other"]})
    assert not decide(EVENTS, "lambda:InvokeFunction", fn, resource_policy=fn_policy, context=ctx2).allowed
    assert not decide(EVENTS, "lambda:InvokeFunction", fn, [allow("*")], context=ctx).allowed


def test_permissions_boundary_and_session_policy_intersect():
    assert not decide(ROLE, "s3:PutObject", BUCKET_OBJ, [allow("s3:*")], boundary=allow("s3:Get*")).allowed
    assert decide(ROLE, "s3:GetObject", BUCKET_OBJ, [allow("s3:*")], boundary=allow("s3:Get*")).allowed
    assert not decide(ROLE, "s3:GetObject", BUCKET_OBJ, [allow("s3:*")], session=allow("kinesis:*")).allowed


def test_condition_keys_and_values_and_or():
    # "Creating a condition with multiple keys or values": AND across keys, OR across values.
    cond = {"StringEquals": {"cloudwatch:namespace": ["A", "B"], "aws:RequestedRegion": "us-east-1"}}
    p = allow("cloudwatch:PutMetricData", Condition=cond)
    ok = {"cloudwatch:namespace": ["B"], "aws:requestedregion": ["us-east-1"]}
    assert decide(ROLE, "cloudwatch:PutMetricData", "*", [p], context=ok).allowed
    assert not decide(ROLE, "cloudwatch:PutMetricData", "*", [p], context=dict(ok, **{"cloudwatch:namespace": ["C"]})).allowed
    assert not decide(ROLE, "cloudwatch:PutMetricData", "*", [p], context={"cloudwatch:namespace": ["A"]}).allowed


@pytest.mark.parametrize("operator,key,expected,actual,result", [
    ("StringLike", "s3:prefix", "data/*", "data/x", True),
    ("StringNotEquals", "aws:SourceAccount", "1", "2", True),
    ("StringEqualsIgnoreCase", "aws:username", "ALICE", "alice", True),
    ("NumericLessThan", "aws:EpochTime", "100", "99", True),
    ("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2026-01-01T00:00:00Z", True),
    ("Bool", "aws:SecureTransport", "false", "true", False),
    ("IpAddress", "aws:SourceIp", "127.0.0.0/8", "127.0.0.1", True),
    ("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", "127.0.0.1", True),
    ("ArnLike", "aws:SourceArn", "arn:aws:events:*:1:rule/*", "arn:aws:events:us-east-1:1:rule/r", True),
    ("ArnEquals", "aws:SourceArn", "arn:aws:events:us-east-1:1:rule/r", "arn:aws:events:us-east-1:1:rule/x", False),
    ("StringEquals", "kms:ViaService", "kinesis.us-east-1.amazonaws.com", "kinesis.us-east-1.amazonaws.com", True),
])
def test_operators(operator, key, expected, actual, result):
    assert condition_holds(operator, key, expected, {key.lower(): [actual]}) is result


def test_missing_keys_if_exists_and_null():
    assert not condition_holds("StringEquals", "aws:SourceArn", "x", {})
    assert condition_holds("StringEqualsIfExists", "aws:SourceArn", "x", {})
    assert condition_holds("StringNotEquals", "aws:SourceArn", "x", {})
    assert condition_holds("Null", "aws:SourceArn", "true", {})
    assert not condition_holds("Null", "aws:SourceArn", "false", {})


def test_set_operators():
    ctx = {"aws:calledvia": ["a", "b"]}
    assert condition_holds("ForAnyValue:StringEquals", "aws:CalledVia", "b", ctx)
    assert not condition_holds("ForAllValues:StringEquals", "aws:CalledVia", "b", ctx)
    assert condition_holds("ForAllValues:StringEquals", "aws:CalledVia", ["a", "b"], ctx)


def test_policy_variables():
    p = allow("s3:GetObject", "arn:aws:s3:::b/home/${aws:username}/*")
    user = Principal("user", f"arn:aws:iam::{ACCT}:user/alice", ACCT, name="alice")
    ctx = {"aws:username": ["alice"]}
    assert decide(user, "s3:GetObject", "arn:aws:s3:::b/home/alice/x", [p], context=ctx).allowed
    assert not decide(user, "s3:GetObject", "arn:aws:s3:::b/home/bob/x", [p], context=ctx).allowed


def test_unsupported_elements_fail_by_name_never_allow():
    with pytest.raises(Unsupported, match="condition operator StringSometimes"):
        decide(ROLE, "s3:GetObject", BUCKET_OBJ, [allow("s3:*", Condition={"StringSometimes": {"aws:SourceIp": "x"}})])
    with pytest.raises(Unsupported, match="condition key aws:TokenIssueTime"):
        validate(allow("s3:*", Condition={"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01"}}))
    with pytest.raises(Unsupported, match="statement element Actions"):
        validate({"Statement": [{"Effect": "Allow", "Actions": "s3:*", "Resource": "*"}]})
    with pytest.raises(Unsupported, match="not JSON"):
        validate("{not json")


def test_aws_managed_policies_have_their_real_documents():
    # "AWSLambdaKinesisExecutionRole" (AWS Managed Policy Reference): Kinesis reads and CloudWatch Logs writes.
    doc = managed.document("arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole")
    stream = "arn:aws:kinesis:us-east-1:1:stream/s"
    for action in ("kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream", "kinesis:ListShards",
                   "logs:PutLogEvents"):
        assert decide(ROLE, action, stream, [doc]).allowed, action
    assert not decide(ROLE, "kinesis:PutRecord", stream, [doc]).allowed
    basic = managed.document("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    assert decide(ROLE, "logs:CreateLogStream", "arn:aws:logs:us-east-1:1:log-group:g:*", [basic]).allowed
    assert not decide(ROLE, "kinesis:GetRecords", stream, [basic]).allowed
    with pytest.raises(Unsupported):
        managed.document("arn:aws:iam::aws:policy/NoSuchPolicy")


def test_text_policies_parsed_once_and_decided_as_before():
    """Policies stored as text (the IAM API's PutRolePolicy) are parsed once per
    distinct text; every request is still decided by "Policy evaluation logic":
    actions case-insensitive with wildcards, resources case-sensitive
    ("IAM JSON policy elements: Action", "IAM JSON policy elements: Resource"),
    and a document the evaluator cannot read is refused on every request."""
    import json

    from streamkit_emulator.iam.evaluator import statements

    text = json.dumps(allow(["kinesis:PutRecord", "S3:PUT*"], "arn:aws:s3:::b/data/*"))
    assert statements(text) is statements(text.encode())
    for key in range(3):  # a new object key per request: each one a fresh decision
        assert decide(ROLE, "s3:PutObject", f"arn:aws:s3:::b/data/{key}", [text]).allowed
        assert not decide(ROLE, "s3:PutObject", f"arn:aws:s3:::B/data/{key}", [text]).allowed
    assert decide(ROLE, "KINESIS:putrecord", "arn:aws:s3:::b/data/x", [text]).allowed
    assert not decide(ROLE, "kinesis:PutRecords", "arn:aws:s3:::b/data/x", [text]).allowed
    broken = json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Bogus": 1}]})
    for _ in range(2):
        with pytest.raises(Unsupported, match="Bogus"):
            decide(ROLE, "s3:PutObject", BUCKET_OBJ, [broken])


def test_a_session_key_resolves_while_its_session_lives(monkeypatch):
    """An assumed-role key is the session's principal, with its own session
    token only ("Temporary security credentials in IAM", IAM User Guide); a
    key whose session is gone (a reset emulator) is not recognized, even
    after it was resolved once."""
    from types import SimpleNamespace

    from moto.sts import models as sts_models

    from streamkit_emulator.iam import principals

    session = SimpleNamespace(access_key_id="ASIAEXAMPLE", session_token="tok", session_name="s",
                              role_arn=f"arn:aws:iam::{ACCT}:role/R")
    live = {ACCT: {"aws": SimpleNamespace(assumed_roles=[session])}}
    monkeypatch.setattr(sts_models, "sts_backends", live)
    principals._sessions.clear()
    for _ in range(2):  # found, then from the cache
        p = principals.resolve("ASIAEXAMPLE", "tok")
        assert (p.kind, p.arn, p.role_arn) == ("assumed-role", f"arn:aws:sts::{ACCT}:assumed-role/R/s",
                                               f"arn:aws:iam::{ACCT}:role/R")
        with pytest.raises(principals.InvalidToken):
            principals.resolve("ASIAEXAMPLE", "other-token")
    live[ACCT]["aws"] = SimpleNamespace(assumed_roles=[])  # reset: the session is gone
    with pytest.raises(principals.InvalidToken):
        principals.resolve("ASIAEXAMPLE", "tok")
