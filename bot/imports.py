"""Importing a library without the parts of it the bot never uses, so the bot idles small and its commands start
fast (issue 14)."""

import contextlib
import importlib.machinery
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


def _no_entry_points(**_selection: object) -> tuple[()]:
    return ()


class _PluginLoaderWithoutMetadata:
    """A `sys.meta_path` finder for pydantic's plugin loader alone: found as usual, then run with a stand-in for
    ``importlib.metadata`` that lists no entry points, and the finder steps aside."""

    LOADER = "pydantic.plugin._loader"

    def find_spec(self, name: str, path, target=None):
        if name != self.LOADER:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        run_module = spec.loader.exec_module
        stand_in = types.ModuleType("importlib.metadata")
        stand_in.entry_points = _no_entry_points

        def exec_module(module: types.ModuleType) -> None:
            with held_out({"importlib.metadata": stand_in}):
                run_module(module)

        spec.loader.exec_module = exec_module
        return spec


def pydantic_without_plugins() -> None:
    """Have pydantic's plugin loader, whenever pydantic first imports it, see no plugins installed.

    The loader imports ``importlib.metadata`` (and with it email, zipfile and socket, 15 ms of a 0.2 s calculator
    start) the first time any model is defined, only to scan the installed packages for pydantic plugins, and the
    bot uses none. Called by ``bot/__init__.py``, it imports nothing itself: a process of the bot that defines no
    model (the loan-book reader) does not load pydantic. A later import of ``importlib.metadata`` gets the real
    module."""
    if _PluginLoaderWithoutMetadata.LOADER not in sys.modules and not any(
            isinstance(finder, _PluginLoaderWithoutMetadata) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PluginLoaderWithoutMetadata())
