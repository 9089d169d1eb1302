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


def test_the_bot_imports_httpx_without_its_command_line_client():
    script = ("import sys; from bot.imports import import_httpx_without_its_command_line; "
              "import_httpx_without_its_command_line(); import telegram.ext; "
              "print(sorted({m.split('.')[0] for m in sys.modules} & {'click', 'pygments'}))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
