"""Request dispatch without a directory listing per request: moto server's
`DomainDispatcherApplication.get_backend_for_host` asks
`moto.backends.list_of_moto_modules()` on every request, which lists moto's
package directory and stats each entry (about 150 `isdir` calls), under the
dispatcher's one lock, so every request of every service waits on it (7% of
the emulator's CPU under the joins pipeline, py-spy). The package does not
change while the server runs: the list is read once.

Likewise `BaseResponse.call_action` lists the response class's methods with
`inspect.getmembers` on every request (3% of the CPU of a conditional PutItem
as the join function sends them, py-spy): a class's methods do not change once the
patches are installed, so the list is made once per class.

werkzeug formats each request's access-log line (path decoding, escaping)
before its logger drops it; without `--log-requests` the logger is at
WARNING, so the line is not made at all (2-3% of a request's CPU).

moto's Flask apps run with `debug = True`, so Flask's `Request._load_form_data`
calls `debughelpers.attach_enctype_error_multidict` on every request that reads
its body without files: it defines a new subclass of the (empty) `files`
multidict, only to reword the KeyError of a missing file key in HTML-form
debugging (5% of a DynamoDB PutItem's CPU, most of it `typing`'s
`__init_subclass__`). moto reads `request.files[...]` only when `files` is not
empty, when the helper is not applied anyway, so it never changes an answer:
it is skipped."""
from __future__ import annotations

import functools
import logging

from moto import backends
from moto.core import responses, utils

_original = backends.list_of_moto_modules


def install() -> None:
    modules = tuple(_original())
    backends.list_of_moto_modules = lambda: modules
    responses.method_names_from_class = _method_names  # type: ignore[assignment]
    from werkzeug.serving import WSGIRequestHandler

    log_request = WSGIRequestHandler.log_request
    werkzeug_log = logging.getLogger("werkzeug")

    def quiet_log_request(self: WSGIRequestHandler, code: int | str = "-", size: int | str = "-") -> None:
        # NOTSET: werkzeug sets INFO itself on its first line (--log-requests).
        if werkzeug_log.level == logging.NOTSET or werkzeug_log.isEnabledFor(logging.INFO):
            log_request(self, code, size)

    WSGIRequestHandler.log_request = quiet_log_request  # type: ignore[method-assign]
    from flask import debughelpers

    debughelpers.attach_enctype_error_multidict = _no_files_helper  # type: ignore[assignment]


def _no_files_helper(request: object) -> None:
    """In place of Flask's debug-mode `attach_enctype_error_multidict` (see above)."""


@functools.lru_cache(maxsize=None)
def _method_names(cls: type) -> frozenset[str]:
    return frozenset(utils.method_names_from_class(cls))
