"""Files the bot keeps between runs (the validated policy packs, the Q&A's dictionary and index): named by what
they were made from, and written whole or not at all."""

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def fingerprint(parts: Iterable[bytes]) -> str:
    """A hex digest naming what a kept file was made from: each part is hashed on its own, so two parts never
    read as one."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """``data`` at ``path`` whole or not at all: a second process starting meanwhile never reads half a file, and a
    write that fails (``OSError``) leaves nothing behind."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
