"""Loading the policy packs of ``policy_texts/``: YAML files validated against `bot.rules.policy`.

The validated packs can be kept in a file between runs (`load_packs`'s ``cache``), as Python keeps compiled modules:
a calculator that finds them there imports neither PyYAML nor builds a single validator (issue 14).
"""

import pickle
import sys
from pathlib import Path

import pydantic
from pydantic import ValidationError

from bot.files import fingerprint, write_atomically
from bot.rules import policy
from bot.rules.policy import PolicyPack

DEFAULT_POLICY_DIR = Path(__file__).resolve().parent.parent / "policy_texts"


class PolicyLoadError(Exception):
    """A pack that cannot be used; the message names the file and the field."""


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"{field}: {item['msg']}")
    return "; ".join(lines)


def load_pack(path: Path) -> PolicyPack:
    """Read and validate one pack; the pack's ``id`` must equal the file's stem."""
    import yaml  # only when a pack is read from its YAML: a start that finds the packs cached never loads PyYAML

    # libyaml's safe loader when PyYAML was built with it (ten times faster on the packs), else the pure-Python one
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyLoadError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise PolicyLoadError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyLoadError(f"{path}: (top level): expected a mapping")
    try:
        pack = PolicyPack.model_validate(data)
    except ValidationError as exc:
        raise PolicyLoadError(f"{path}: {_describe(exc)}") from None
    if pack.id != path.stem:
        raise PolicyLoadError(f"{path}: id: {pack.id!r} must match the file name {path.stem!r}")
    return pack


def load_packs(directory: Path = DEFAULT_POLICY_DIR, cache: Path | None = None) -> dict[str, PolicyPack]:
    """Every ``*.yaml`` pack in ``directory``, by id, in file-name order.

    With a ``cache`` file, the packs are read from it when it was written for the same pack files, the same schema
    (`bot.rules.policy`'s source) and the same pydantic and Python; otherwise they are read from their YAML and
    the file is written for the next run. A cache that cannot be read is rebuilt, one that cannot be written is
    left out. The file is unpickled: it belongs in the bot's own data directory, which holds its database too."""
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise PolicyLoadError(f"{directory}: no policy packs (*.yaml) found")
    if cache is None:
        return _read_packs(paths)
    key = _cache_key(paths)
    packs = _read_cache(cache, key)
    if packs is None:
        packs = _read_packs(paths)
        _write_cache(cache, key, packs)
    return packs


def _read_packs(paths: list[Path]) -> dict[str, PolicyPack]:
    return {pack.id: pack for pack in map(load_pack, paths)}


def _cache_key(paths: list[Path]) -> str:
    """What the cached packs were made from: the pack files (names and bytes), the schema, pydantic and Python."""
    return fingerprint((sys.version.encode(), pydantic.VERSION.encode(), Path(policy.__file__).read_bytes(),
                        *(path.name.encode() + b"\0" + path.read_bytes() for path in paths)))


def _read_cache(cache: Path, key: str) -> dict[str, PolicyPack] | None:
    try:
        cached_key, packs = pickle.loads(cache.read_bytes())
    except Exception:  # missing, cut short, or written by other code: any unpickling error means "read the YAML"
        return None
    return packs if cached_key == key else None


def _write_cache(cache: Path, key: str, packs: dict[str, PolicyPack]) -> None:
    """Written whole or not at all (another process may read it meanwhile); left out where it cannot be written."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(cache, pickle.dumps((key, packs), protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # the next run reads the YAML again
