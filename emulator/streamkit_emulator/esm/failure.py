"""Discarded batches: the invocation record Lambda sends to a Kinesis event
source mapping's `DestinationConfig.OnFailure`.

The record (SQS message body, SNS message, or S3 object) is

    {"requestContext": {"requestId", "functionArn", "condition",
                        "approximateInvokeCount"},
     "responseContext": {"statusCode", "executedVersion", "functionError"},
     "version": "1.0", "timestamp",
     "KinesisBatchInfo": {"shardId", "startSequenceNumber", "endSequenceNumber",
                          "approximateArrivalOfFirstRecord",
                          "approximateArrivalOfLastRecord", "batchSize", "streamArn"}}

`condition` is `RetryAttemptsExhausted` or `RecordAgeExceeded`. An S3
destination also gets the invocation's event as `payload`, under
`aws/lambda/<mapping UUID>/<shard>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>`.
"""
from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timezone
from typing import Any

log = logging.getLogger("streamkit.emulator")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def invocation_record(
    *,
    request_id: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    status_code: int | None,
    function_error: str | None,
    shard_id: str,
    records: list[Any],
    stream_arn: str,
) -> dict[str, Any]:
    response: dict[str, Any] = {"statusCode": status_code, "executedVersion": "$LATEST"}
    if function_error:
        response["functionError"] = function_error
    return {
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": _iso(datetime.now(timezone.utc).timestamp()),
        "KinesisBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": str(records[0].sequence_number),
            "endSequenceNumber": str(records[-1].sequence_number),
            "approximateArrivalOfFirstRecord": _iso(records[0].created_at),
            "approximateArrivalOfLastRecord": _iso(records[-1].created_at),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


def send(account: str, mapping_uuid: str, destination: str, record: dict[str, Any], event: dict[str, Any]) -> None:
    """Delivers `record` to the SQS queue, SNS topic or S3 bucket `destination`
    (an ARN); a delivery that fails is logged (Lambda, too, drops it)."""
    parts = destination.split(":")
    service = parts[2] if len(parts) > 5 else ""
    try:
        if service == "sqs":
            from moto.sqs.models import sqs_backends

            sqs_backends[parts[4] or account][parts[3]].send_message(parts[5], json.dumps(record))
        elif service == "sns":
            from moto.sns.models import sns_backends

            sns_backends[parts[4] or account][parts[3]].publish(json.dumps(record), arn=destination)
        elif service == "s3":
            from moto.s3.models import s3_backends

            now = datetime.now(timezone.utc)
            shard = record["KinesisBatchInfo"]["shardId"]
            key = f"aws/lambda/{mapping_uuid}/{shard}/{now:%Y/%m/%d}/{now:%Y-%m-%dT%H.%M.%S}-{uuid.uuid4()}"
            body = dict(record, payload=json.dumps(event))
            s3_backends[account]["aws"].put_object(parts[5], key, json.dumps(body).encode())
        else:
            log.error("on-failure destination %s is not SQS, SNS or S3; record dropped", destination)
    except Exception:  # noqa: BLE001 - the mapping goes on, as Lambda's does
        log.exception("could not deliver the on-failure record to %s", destination)
