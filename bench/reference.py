"""The reference designs bench/run compares streamkit against, in boto3 (run
with the venv's Python; the endpoint comes from AWS_ENDPOINT_URL).

  reference.py produce --stream S --count N
      one PutRecord per record (stock ticks like streamkit-producer's)
  reference.py replicate --stream S --source-region A --dest-stream D --dest-region B --table T
      the reference replicator: read the source stream from this script's own
      per-shard checkpoints, then per record one synchronous PutRecord to the
      destination and one DynamoDB PutItem (the checkpoint); stops when every
      shard returns nothing. Prints the number of records replicated.
  reference.py table --name T --region R
      creates the checkpoint table (PAY_PER_REQUEST) if missing
"""
import argparse
import json
import random
import sys

import boto3

TICKERS = ["AAPL", "AMZN", "MSFT", "INTC", "TBV"]


def produce(args):
    kinesis = boto3.client("kinesis", region_name=args.region)
    rng = random.Random(7)
    for i in range(args.count):
        ticker = TICKERS[i % len(TICKERS)]
        data = json.dumps({"EVENT_TIME": "2026-11-23T10:00:00.000Z", "TICKER": ticker,
                           "PRICE": round(rng.uniform(0, 100), 2)})
        kinesis.put_record(StreamName=args.stream, Data=data.encode(), PartitionKey=ticker)
    print(args.count)


def table(args):
    ddb = boto3.client("dynamodb", region_name=args.region)
    if args.name in ddb.list_tables()["TableNames"]:
        return
    ddb.create_table(TableName=args.name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "shardId", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "shardId", "KeyType": "HASH"}])


def replicate(args):
    source = boto3.client("kinesis", region_name=args.source_region)
    dest = boto3.client("kinesis", region_name=args.dest_region)
    ddb = boto3.client("dynamodb", region_name=args.source_region)
    shards = source.list_shards(StreamName=args.stream)["Shards"]
    replicated = 0
    for shard in shards:
        sid = shard["ShardId"]
        item = ddb.get_item(TableName=args.table, Key={"shardId": {"S": sid}}).get("Item")
        if item:
            it = source.get_shard_iterator(StreamName=args.stream, ShardId=sid,
                                           ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                           StartingSequenceNumber=item["sequenceNumber"]["S"])
        else:
            it = source.get_shard_iterator(StreamName=args.stream, ShardId=sid,
                                           ShardIteratorType="TRIM_HORIZON")
        iterator = it["ShardIterator"]
        while iterator:
            out = source.get_records(ShardIterator=iterator, Limit=1000)
            if not out["Records"]:
                break
            for r in out["Records"]:
                dest.put_record(StreamName=args.dest_stream, Data=r["Data"],
                                PartitionKey=r["PartitionKey"])
                ddb.put_item(TableName=args.table, Item={
                    "shardId": {"S": sid}, "sequenceNumber": {"S": r["SequenceNumber"]}})
                replicated += 1
            iterator = out.get("NextShardIterator")
    print(replicated)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("produce")
    p.add_argument("--stream", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--region", default="us-east-1")
    p = sub.add_parser("replicate")
    p.add_argument("--stream", required=True)
    p.add_argument("--source-region", required=True)
    p.add_argument("--dest-stream", required=True)
    p.add_argument("--dest-region", required=True)
    p.add_argument("--table", required=True)
    p = sub.add_parser("table")
    p.add_argument("--name", required=True)
    p.add_argument("--region", required=True)
    args = ap.parse_args()
    {"produce": produce, "replicate": replicate, "table": table}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
