"""The independent answer for pattern 2's processor, computed with DuckDB.

Usage: batch_windows.py TICKS.jsonl PARQUET_DIR WINDOW_SECONDS

Reads the ticks (one JSON object per line: EVENT_TIME, TICKER, PRICE, as they
were on the stream) and computes, per ticker and tumbling event-time window,
count, min, max, average and last price (latest event time, then highest
price) with its event time; reads every Parquet file under PARQUET_DIR (the
processor's output); prints {"expected": [...], "actual": [...]} as JSON, rows
sorted by (ticker, window_start), times in epoch milliseconds.
"""
from __future__ import annotations

import json
import sys

import duckdb


def main(ticks: str, parquet_dir: str, window_seconds: int) -> None:
    window_ms = window_seconds * 1000
    con = duckdb.connect()
    expected = con.execute(
        f"""
        WITH t AS (
            SELECT TICKER AS ticker, CAST(PRICE AS DOUBLE) AS price,
                   epoch_ms(CAST(EVENT_TIME AS TIMESTAMPTZ)) AS event_ms
            FROM read_json_auto(?, format = 'newline_delimited')
        )
        SELECT ticker, CAST(floor(event_ms / {window_ms}) AS BIGINT) * {window_ms} AS window_start,
               count(*) AS count, min(price) AS min_price, max(price) AS max_price,
               round(avg(price), 9) AS avg_price,
               max(struct_pack(t := event_ms, p := price)).p AS last_price,
               max(event_ms) AS last_price_time
        FROM t GROUP BY ALL ORDER BY ticker, window_start
        """,
        [ticks],
    ).fetchall()
    actual = con.execute(
        """
        SELECT ticker, epoch_ms(window_start) AS window_start, count, min_price, max_price,
               round(avg_price, 9) AS avg_price, last_price, epoch_ms(last_price_time) AS last_price_time
        FROM read_parquet(? || '/**/*.parquet') ORDER BY ticker, window_start
        """,
        [parquet_dir],
    ).fetchall()
    print(json.dumps({"expected": [list(r) for r in expected], "actual": [list(r) for r in actual]}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
