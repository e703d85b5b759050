"""GetShardIterator called with StreamARN only (no StreamName).

The API reference of GetShardIterator
(https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetShardIterator.html)
says either StreamARN or StreamName, or both, identify the stream. moto 5.2.1
wrote the StreamName parameter into the iterator, so an iterator got with the
ARN alone named a stream `None` and the next GetRecords answered
ResourceNotFoundException. The iterator names the stream found instead.
"""
from __future__ import annotations

from typing import Any

from moto.kinesis.models import KinesisBackend


def install() -> None:
    original = KinesisBackend.get_shard_iterator

    def get_shard_iterator(self: KinesisBackend, stream_arn: Any, stream_name: Any, *args: Any, **kwargs: Any) -> str:
        if not stream_name and stream_arn:
            stream_name = self.describe_stream(stream_arn=stream_arn, stream_name=None).stream_name
        return original(self, stream_arn, stream_name, *args, **kwargs)

    KinesisBackend.get_shard_iterator = get_shard_iterator
