"""Importing a library without the parts of it the bot never uses, so the bot idles small (issue 14)."""

import contextlib
import sys
import types
from collections.abc import Iterator


@contextlib.contextmanager
def held_out(modules: dict[str, types.ModuleType | None]) -> Iterator[None]:
    """While the body imports, each named module is what ``modules`` says: ``None`` reads as not installed (a
    library's ``try: import … except ImportError`` takes its fallback), a module stands in for the real one.
    Names already imported are left as they are, and every entry is gone afterwards: a later import of any of
    them gets the real module."""
    kept_out = {name: module for name, module in modules.items() if name not in sys.modules}
    sys.modules.update(kept_out)
    try:
        yield
    finally:
        for name in kept_out:
            sys.modules.pop(name, None)


def import_telegram(*, webhook: bool) -> None:
    """PTB and its HTTP client, imported before anything else imports them, without what the process never runs:
    httpx's command-line client, which httpx imports whenever click is installed (huggingface_hub, which
    tokenizers needs, installs it), and with it click and pygments; and, unless the bot serves a webhook, PTB's
    webhook server (tornado). Some 4 MB of the bot's idle memory."""
    with held_out({"click": None}):
        import httpx  # noqa: F401
    with held_out({} if webhook else {"tornado": None}):
        import telegram.ext  # noqa: F401
