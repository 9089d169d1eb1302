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


def import_httpx_without_its_command_line() -> None:
    """httpx (PTB's HTTP client) imports its command-line client whenever click is installed (huggingface_hub,
    which tokenizers needs, installs it), and with it click and pygments: some 4 MB the bot never uses. Call
    before anything imports telegram."""
    with held_out({"click": None}):
        import httpx  # noqa: F401
