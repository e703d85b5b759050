"""A minimal Lambda Runtime API client for the test functions (stdlib only):
`run(handler)` loops on `next`, calls `handler(event, context)` and posts its
result to `response`, or what it raised to `error`."""
import json
import os
import sys
import traceback
import urllib.request

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
BASE = f"http://{API}/2018-06-01/runtime"


def _post(path, body, headers=None):
    req = urllib.request.Request(BASE + path, data=body, method="POST", headers=headers or {})
    with urllib.request.urlopen(req) as resp:
        return resp.status


def init_error(message, error_type="Runtime.InitError"):
    body = json.dumps({"errorMessage": message, "errorType": error_type, "stackTrace": []}).encode()
    return _post("/init/error", body, {"Lambda-Runtime-Function-Error-Type": error_type})


def run(handler):
    while True:
        with urllib.request.urlopen(BASE + "/invocation/next") as resp:
            event = json.loads(resp.read() or b"{}")
            context = {k.lower(): v for k, v in resp.headers.items() if k.lower().startswith("lambda-runtime-")}
        request_id = context["lambda-runtime-aws-request-id"]
        try:
            result = handler(event, context)
        except Exception as error:  # noqa: BLE001 - reported to Lambda
            body = json.dumps({
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "stackTrace": traceback.format_exc().splitlines(),
            }).encode()
            _post(f"/invocation/{request_id}/error", body, {"Lambda-Runtime-Function-Error-Type": type(error).__name__})
            continue
        _post(f"/invocation/{request_id}/response", json.dumps(result).encode())
        sys.stdout.flush()
