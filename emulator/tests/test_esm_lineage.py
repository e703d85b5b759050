"""Resharding: a mapping reads a child shard only after its parents are done
(a whole lineage of split and merge is exercised here on an in-memory stream,
through the same `esm.Mapping`; `test_kinesis_shards.py` covers resharding a
real stream)."""
from __future__ import annotations

import base64
import time
from collections import OrderedDict
from types import SimpleNamespace

from conftest import wait_for


def shard(shard_id: str, values: list[str], is_open: bool, parent: str | None = None, adjacent: str | None = None):
    now = time.time()
    records = OrderedDict(
        (i + 1, SimpleNamespace(sequence_number=i + 1, partition_key=v, data=base64.b64encode(v.encode()).decode(),
                                created_at=now))
        for i, v in enumerate(values)
    )
    return SimpleNamespace(shard_id=shard_id, records=records, is_open=is_open, parent=parent, adjacent_parent=adjacent)


def test_children_start_after_their_parents_and_a_merge_after_both():
    from streamkit_emulator.esm import mappings as esm
    from streamkit_emulator.awslambda.runtime import Invocation

    shards = [
        shard("p", ["p1", "p2", "p3"], is_open=False),
        shard("c1", ["c1-1", "c1-2"], is_open=False, parent="p"),
        shard("c2", ["c2-1"], is_open=False, parent="p"),
        shard("m", ["m1", "m2"], is_open=True, parent="c1", adjacent="c2"),
    ]
    stream = SimpleNamespace(arn="arn:aws:kinesis:us-east-1:123456789012:stream/s", region="us-east-1", stream_name="s",
                             shards={s.shard_id: s for s in reversed(shards)})
    mapping_config = SimpleNamespace(
        uuid="lineage", account_id="123456789012", region="us-east-1", event_source_arn=stream.arn,
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:f", starting_position="TRIM_HORIZON",
        starting_position_timestamp=None, enabled=True, batch_size=10, max_batch_window=0, max_record_age=-1,
        max_retry_attempts=-1, bisect_on_error=False, function_response_types=[], tumbling_window=None,
        parallelization_factor=1, destination_config=None, filter_criteria=None)
    calls: list[tuple[str, list[str]]] = []

    class Recording(esm.Mapping):
        def invoke(self, event):
            records = event["Records"]
            calls.append((records[0]["eventID"].split(":")[0],
                          [base64.b64decode(r["kinesis"]["data"]).decode() for r in records]))
            return Invocation(200, b"{}", None, "")

        def _registered(self) -> bool:
            return True

        def role(self) -> str:
            return "arn:aws:iam::123456789012:role/r"

    mapping = Recording(mapping_config, stream)
    try:
        wait_for(lambda: sum(len(v) for _, v in calls) >= 8, timeout=30, what="every shard read")
    finally:
        mapping.stop()
    order = [s for s, _ in calls]
    assert [v for s, v in calls if s == "p"] == [["p1", "p2", "p3"]]
    assert order.index("c1") > order.index("p") and order.index("c2") > order.index("p")
    assert order.index("m") > max(order.index("c1"), order.index("c2"))
    assert sorted(v for _, vs in calls for v in vs) == sorted(["p1", "p2", "p3", "c1-1", "c1-2", "c2-1", "m1", "m2"])
