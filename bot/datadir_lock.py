"""One writer per data directory: the bot (on Telegram or in the sandbox) holds an exclusive lock on
``$IPBOT_DATA_DIR/ipbot.lock`` while it runs, so a second one on the same directory refuses to start and
says which process holds it, instead of both resuming the same broadcasts and reminders."""

import fcntl
import os
from pathlib import Path

LOCK_FILE = "ipbot.lock"


class DataDirBusy(RuntimeError):
    """Another process runs the bot on this data directory; ``pid`` is the one it recorded."""

    def __init__(self, data_dir: Path, pid: str):
        super().__init__(f"{data_dir} is used by process {pid}")
        self.data_dir = data_dir
        self.pid = pid


class DataDirLock:
    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> "DataDirLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise DataDirBusy(self.path.parent, holder) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
