"""Request dispatch without a directory listing per request: moto server's
`DomainDispatcherApplication.get_backend_for_host` asks
`moto.backends.list_of_moto_modules()` on every request, which lists moto's
package directory and stats each entry (about 150 `isdir` calls), under the
dispatcher's one lock, so every request of every service waits on it (7% of
the emulator's CPU under the joins pipeline, py-spy). The package does not
change while the server runs: the list is read once."""
from __future__ import annotations

from moto import backends

_original = backends.list_of_moto_modules


def install() -> None:
    modules = tuple(_original())
    backends.list_of_moto_modules = lambda: modules
