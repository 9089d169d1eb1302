"""Start ``python -m bot sandbox --demo`` in a subprocess and talk to it through the client API."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bot.sandbox.runner import ACCESS_TOKEN_FILE, free_port
from bot.sandbox.server import TOKEN_HEADER

ROOT = Path(__file__).parent.parent


class SandboxProcess:
    def __init__(self, data_dir: Path, demo: bool = True, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "IPBOT_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
        env.pop("TELEGRAM_BOT_TOKEN", None)
        args = [sys.executable, "-m", "bot", "sandbox", "--port", str(self.port)] + (["--demo"] if demo else [])
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.banner = self.process.stdout.readline()
        if self.url not in self.banner:
            self.stop()
            raise RuntimeError(f"sandbox did not start: {self.banner}{self.process.stdout.read()}")
        self.data_dir = Path(data_dir)
        self.access_token = (self.data_dir / ACCESS_TOKEN_FILE).read_text().strip()
        self.page_url = f"{self.url}/?token={self.access_token}"
        self.http = httpx.Client(base_url=self.url, timeout=30, headers={TOKEN_HEADER: self.access_token})
        self.seen: dict[int, int] = {}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def send(self, user_id: int, text: str) -> list[dict]:
        assert self.http.post("/sandbox/api/send", json={"user_id": user_id, "text": text}).json()["ok"]
        return self.replies(user_id)

    def upload(self, user_id: int, name: str, data: bytes) -> list[dict]:
        response = self.http.post("/sandbox/api/upload", data={"user_id": str(user_id)}, files={"file": (name, data)})
        assert response.json()["ok"], response.text
        return self.replies(user_id)

    def press(self, user_id: int, label: str) -> list[dict]:
        for message in reversed(self.messages(user_id)):
            for row in message["buttons"]:
                for button in row:
                    if label in button["text"]:
                        body = {"user_id": user_id, "message_id": message["message_id"], "data": button["data"]}
                        assert self.http.post("/sandbox/api/press", json=body).json()["ok"]
                        return self.replies(user_id)
        raise AssertionError(f"no button {label!r} for {user_id}")

    def messages(self, user_id: int, after: int = 0, wait: float = 0) -> list[dict]:
        params = {"user_id": user_id, "after": after, "wait": wait}
        return self.http.get("/sandbox/api/messages", params=params).json()["messages"]

    def replies(self, user_id: int, settle: float = 0.4, timeout: float = 20) -> list[dict]:
        """The bot's messages to ``user_id`` since the last call: wait for the first, then for quiet."""
        after = self.seen.get(user_id, 0)
        deadline = time.monotonic() + timeout
        found: list[dict] = []
        while time.monotonic() < deadline:
            batch = [m for m in self.messages(user_id, after, wait=settle if found else 5) if m["message_id"] > after]
            if not batch and found:
                break
            found += batch
            if batch:
                after = max(m["message_id"] for m in batch)
        self.seen[user_id] = after
        return [m for m in found if m["from"] == "bot"]

    @staticmethod
    def texts(messages: list[dict]) -> str:
        return "\n".join(m["text"] for m in messages)

    def bot_api(self, method: str, token: str = "1000000:sandbox", **params) -> httpx.Response:
        return self.http.post(f"/bot{token}/{method}", data={k: json.dumps(v) if isinstance(v, (dict, list)) else v
                                                             for k, v in params.items()})
