"""Libraries imported without the parts the bot never uses (issue 14: the bot idles under 120 MB)."""

import subprocess
import sys
from pathlib import Path

import pytest

from bot.imports import held_out

ROOT = Path(__file__).resolve().parent.parent


def test_a_held_out_module_reads_as_not_installed_and_is_real_again_afterwards(tmp_path, monkeypatch):
    (tmp_path / "held_out_probe.py").write_text("REAL = True\n")
    monkeypatch.syspath_prepend(tmp_path)
    with held_out({"held_out_probe": None}):
        with pytest.raises(ImportError):
            import held_out_probe  # noqa: F401
    import held_out_probe

    assert held_out_probe.REAL


def test_a_module_already_imported_is_left_as_it_is():
    with held_out({"json": None}):
        import json

        assert json.dumps([]) == "[]"


def _loaded_after(call: str) -> str:
    script = (f"import sys; from bot.imports import import_telegram; {call}; "
              "from telegram.ext._updater import WEBHOOKS_AVAILABLE; "
              "print(sorted({m.split('.')[0] for m in sys.modules} & {'click', 'pygments', 'tornado'}), "
              "WEBHOOKS_AVAILABLE)")
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          cwd=ROOT).stdout.strip()


def test_the_bot_imports_telegram_without_httpxs_command_line_or_a_webhook_server_it_does_not_serve():
    assert _loaded_after("import_telegram(webhook=False)") == "[] False"


def test_a_bot_serving_a_webhook_has_ptbs_webhook_server():
    assert _loaded_after("import_telegram(webhook=True)") == "['tornado'] True"


def _shown(script: str) -> list[str]:
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          cwd=ROOT).stdout.split()


def test_the_bot_defines_its_models_without_importing_importlib_metadata_to_look_for_pydantic_plugins():
    assert _shown("import sys, bot.cli; from pydantic.plugin._loader import get_plugins; "
                  "print('importlib.metadata' in sys.modules, list(get_plugins()), "
                  "any(type(f).__name__ == '_PluginLoaderWithoutMetadata' for f in sys.meta_path)); "
                  "import importlib.metadata; print(importlib.metadata.version('pydantic') > '2')") == \
        ["False", "[]", "False", "True"]


def test_the_loan_book_reader_loads_no_pydantic_to_have_it_find_no_plugins():
    assert _shown("import sys, bot.services.loan_reading; print('pydantic' in sys.modules)") == ["False"]
