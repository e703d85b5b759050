"""The independent answer for the joins stack, computed with DuckDB.

Usage: batch_join.py RECORDS.jsonl PRODUCTS.json WINDOW_SECONDS

Reads the records as the producer sent them (`--records-out`: orders and order
items, duplicates included) and the products file (one JSON object per line),
and computes the batch version of the streaming join: each distinct item
joined with the distinct orders of its orderId whose orderDateTime is at most
WINDOW_SECONDS from the item's (inclusive), left-joined with the products on
itemId = productId. Prints one JSON line per joined row,
`{"joined": {field: text}}` (the output table's fields, amounts as exact
decimals without trailing zeros, absent values left out), then one line per
item with no order within the window, `{"unmatched": "orderId#itemId"}`.
"""
from __future__ import annotations

import json
import sys
from decimal import Decimal

import duckdb

TEXT = ["orderStatus", "orderDateTime", "shipToName", "shipToAddress", "shipToCity",
        "shipToState", "shipToZip", "itemStatus", "recordType"]


def plain(v: object) -> str:
    if isinstance(v, Decimal):
        s = format(v, "f")
        return s.rstrip("0").rstrip(".") if "." in s else s
    return str(v)


def main(records: str, products: str, window: int) -> None:
    cols = {c: "VARCHAR" for c in TEXT}
    cols.update({"orderId": "BIGINT", "itemId": "BIGINT", "itemQuantity": "BIGINT",
                 "orderAmount": "DECIMAL(18,2)", "itemAmount": "DECIMAL(18,2)"})
    con = duckdb.connect()
    con.execute("CREATE TABLE r AS SELECT * FROM read_json(?, format='newline_delimited', columns=?)",
                [records, cols])
    con.execute("CREATE TABLE p AS SELECT * FROM read_json(?, format='newline_delimited', columns="
                "{'productId': 'BIGINT', 'productName': 'VARCHAR', 'productPrice': 'DECIMAL(18,2)'})",
                [products])
    con.execute("CREATE VIEW o AS SELECT DISTINCT * FROM r WHERE recordType = 'Order'")
    con.execute("CREATE VIEW i AS SELECT DISTINCT * FROM r WHERE recordType = 'OrderItem'")
    within = ("i.orderId = o.orderId AND abs(epoch_ms(CAST(i.orderDateTime AS TIMESTAMPTZ))"
              " - epoch_ms(CAST(o.orderDateTime AS TIMESTAMPTZ))) <= ? * 1000")
    joined = con.execute(f"""
        SELECT i.orderId, i.itemId, o.orderAmount, o.orderStatus, o.orderDateTime, o.shipToName,
               o.shipToAddress, o.shipToCity, o.shipToState, o.shipToZip, i.itemAmount,
               i.itemQuantity, i.itemStatus, p.productName, p.productPrice
        FROM i JOIN o ON {within} LEFT JOIN p ON i.itemId = p.productId""", [window])
    names = [d[0] for d in joined.description]
    out = sys.stdout
    for row in joined.fetchall():
        fields = {n: plain(v) for n, v in zip(names, row) if v is not None}
        out.write(json.dumps({"joined": fields}) + "\n")
    unmatched = con.execute(
        f"SELECT DISTINCT orderId, itemId FROM i WHERE NOT EXISTS (SELECT 1 FROM o WHERE {within})",
        [window]).fetchall()
    for order_id, item_id in unmatched:
        out.write(json.dumps({"unmatched": f"{order_id}#{item_id}"}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
