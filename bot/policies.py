"""Loading the policy packs of ``policy_texts/``: YAML files validated against `bot.rules.policy`."""

from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.rules.policy import PolicyPack

#: libyaml's safe loader when PyYAML was built with it (ten times faster on the packs), else the pure-Python one.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

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
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
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


def load_packs(directory: Path = DEFAULT_POLICY_DIR) -> dict[str, PolicyPack]:
    """Every ``*.yaml`` pack in ``directory``, by id, in file-name order."""
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise PolicyLoadError(f"{directory}: no policy packs (*.yaml) found")
    return {pack.id: pack for pack in map(load_pack, paths)}
