"""`python -m streamkit_emulator --port N [--host H] [--strict]`: moto server
with streamkit's models installed."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="streamkit_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--strict", action="store_true",
                        help="fail stacks that use a resource type the emulator does not implement")
    parser.add_argument("--iam", choices=("on", "off"), default="on",
                        help="IAM enforced on every request and for what services do with their roles "
                             "(default on; off: every caller may do everything)")
    parser.add_argument("--log-requests", action="store_true",
                        help="log every HTTP request (werkzeug's access log; off by default: a line per "
                             "request was a tenth of the emulator's CPU under a live pipeline)")
    parser.add_argument("--lambda-concurrency", type=int, default=1000, metavar="N",
                        help="the account's Lambda concurrency quota per region (default 1000, AWS's default; "
                             "e.g. 10 as in a new account): unreserved functions share N minus the reservations, "
                             "and PutFunctionConcurrency keeps 100 unreserved, as on AWS")
    parser.add_argument("--profile", metavar="FILE",
                        help="profile every thread's CPU time (cProfile) and write the merged pstats to FILE at exit")
    args = parser.parse_args(argv)
    if args.lambda_concurrency < 0:
        parser.error("--lambda-concurrency: must be 0 or more")
    if not args.log_requests:
        import logging

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    import os

    from streamkit_emulator import install
    from streamkit_emulator.awslambda import pool
    from streamkit_emulator.core import endpoints

    if args.profile:
        from streamkit_emulator.core import profile

        profile.install(args.profile)
    pool.ACCOUNT_CONCURRENCY = args.lambda_concurrency
    # moto's PutFunctionConcurrency reads the quota here and refuses a reservation
    # that leaves fewer than 100 unreserved ("Lambda quotas", Lambda Developer Guide).
    os.environ["MOTO_LAMBDA_CONCURRENCY_QUOTA"] = str(args.lambda_concurrency)

    endpoints.set_base(f"http://{args.host}:{args.port}")
    # An error here is fatal: a silently missing model would make stacks skip resources.
    install(strict=args.strict, iam=args.iam == "on")
    from moto.server import main as moto_main

    from streamkit_emulator.core import collector

    collector.install()  # last before serving: what is loaded now is frozen

    print(f"streamkit emulator on http://{args.host}:{args.port}"
          f"{' (strict)' if args.strict else ''}, IAM {'enforced' if args.iam == 'on' else 'off'}; requests are not logged (--log-requests)",
          file=sys.stderr, flush=True)

    return moto_main(["--host", args.host, "--port", str(args.port)]) or 0


if __name__ == "__main__":
    sys.exit(main())
