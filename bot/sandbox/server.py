"""A local stand-in for Telegram: the Bot API methods the bot uses, in the Bot API's JSON shapes and error
format, at ``/bot<TOKEN>/<method>`` and ``/file/bot<TOKEN>/<path>``; the client API of design.md at
``/sandbox/api/...``; and a web chat at ``/``. The unchanged PTB Application talks to it via ``base_url``.

Every Bot API call is checked against what Telegram refuses (`bot.sandbox.telegram_rules`): lengths, callback
data, HTML entities, commands, users who blocked or never started the bot, stale callback answers and flood
control. The client API and the web chat need the access token printed at start (header ``X-Sandbox-Token``;
``?token=`` on the page and file links), and refuse foreign ``Host`` and ``Origin`` headers.

State lives in memory; uploaded and sent files under the data directory, and, when a history file is given,
every message is journalled to it, so a restarted sandbox carries on the same chats: an open page keeps its
history and its buttons, and the message ids go on where they stopped.
"""

import asyncio
import contextlib
import hmac
import itertools
import json
import re
import shutil
import time
import uuid
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.sandbox import telegram_rules as limits
from bot.sandbox.telegram_rules import BotApiError as ApiError
from bot.sandbox.telegram_rules import ChatRules

BOT_USER = {"id": 1000000, "is_bot": True, "first_name": "ipbot sandbox", "username": "ipbot_sandbox_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}
MAX_WAIT = 60
#: Parameters the Bot API takes as JSON-serialised objects; every other value is taken as sent.
JSON_PARAMS = frozenset({"reply_markup", "commands", "allowed_updates", "scope", "entities", "caption_entities",
                         "link_preview_options", "reply_parameters"})
TOKEN_HEADER = "X-Sandbox-Token"
#: Bytes of uploaded and sent files the sandbox keeps; past it, the oldest go.
FILES_BUDGET = 200 * 1024 * 1024
#: Journalled messages are written to the history file this long after the first of them (in one write).
HISTORY_FLUSH_SECONDS = 0.3


@dataclass
class Record:
    """One message in a private chat, as the sandbox keeps it."""

    message_id: int
    chat_id: int
    sender: str
    text: str = ""
    reply_markup: dict | None = None
    photo: str | None = None
    document: dict | None = None
    edited: bool = False
    edit_seq: int = 0
    date: int = field(default_factory=lambda: int(time.time()))
    #: Bold, italic, code ... spans of a text sent with a parse mode, as Telegram returns them.
    entities: list[dict] = field(default_factory=list)

    def client(self) -> dict:
        """The client API's shape (design.md)."""
        buttons = [[{"text": b.get("text", ""), "data": b.get("callback_data")} for b in row]
                   for row in (self.reply_markup or {}).get("inline_keyboard", [])]
        return {"message_id": self.message_id, "from": self.sender, "text": self.text, "buttons": buttons,
                "photo": self.photo and f"/sandbox/files/{self.photo}",
                "document": self.document and f"/sandbox/files/{self.document['file_id']}/{self.document['file_name']}",
                "edited": self.edited, "entities": self.entities}


class Sandbox:
    def __init__(self, token: str, files_dir: Path, access_token: str = "", flood_control: bool = True,
                 history: Path | None = None):
        self.token = token
        self.access_token = access_token
        self.rules = ChatRules(flood_control=flood_control)
        self.files_dir = files_dir
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._edit_seq = itertools.count(1)
        self.edit_seq = 0
        self.chats: dict[int, list[Record]] = {}
        self.records: dict[int, Record] = {}
        self.files: dict[str, dict] = {}
        self.changed = asyncio.Condition()
        self._chat_changed: dict[int, asyncio.Condition] = {}
        #: Changes with each start: a page that sees it change asks for its chat again from the beginning.
        self.boot = uuid.uuid4().hex[:12]
        #: Who the users are (name, username); anyone else is 用户<id> (@user<id>).
        self.names: dict[int, tuple[str, str]] = {}
        #: The command menus the bot set: (scope type, chat id or None, language code) -> commands.
        self.menus: dict[tuple[str, int | None, str], list[dict]] = {}
        self.history = history
        self._unwritten: list[str] = []
        if history is not None:
            self._load_history()

    # -- the history kept across restarts ---------------------------------------------------------

    def _load_history(self) -> None:
        """The chats and files as they were when the sandbox stopped; the history file is written anew with
        each message's last version only."""
        latest: dict[int, Record] = {}
        with contextlib.suppress(FileNotFoundError):
            for line in self.history.read_text(encoding="utf-8").splitlines():
                with contextlib.suppress(ValueError, TypeError, KeyError):
                    data = json.loads(line)
                    if "menu" in data:
                        self.menus[tuple(data["menu"])] = data["commands"]
                    else:
                        latest[data["message_id"]] = Record(**data)
        ordered = sorted(latest.values(), key=lambda r: r.message_id)
        for record in ordered:
            self.records[record.message_id] = record
            self.chats.setdefault(record.chat_id, []).append(record)
            if record.sender == "user":
                self.rules.user_wrote(record.chat_id)
        self._message_ids = itertools.count(max(latest, default=0) + 1)
        self.edit_seq = max((r.edit_seq for r in latest.values()), default=0)
        self._edit_seq = itertools.count(self.edit_seq + 1)
        for folder in sorted((d for d in self.files_dir.iterdir() if d.is_dir()), key=lambda d: d.stat().st_mtime):
            kept = next(folder.iterdir(), None)
            if kept is not None:
                self.files[folder.name] = _file_meta(folder.name, kept.name, kept.stat().st_size)
        self.history.parent.mkdir(parents=True, exist_ok=True)
        fresh = self.history.with_suffix(".tmp")
        fresh.write_text("".join(_history_line(r) for r in ordered)
                         + "".join(_menu_line(key, commands) for key, commands in self.menus.items()),
                         encoding="utf-8")
        fresh.replace(self.history)

    def _journal(self, line: str) -> None:
        """Keep a record's current version, or a menu, for a restart: written shortly, with whatever else came
        meanwhile."""
        if self.history is None:
            return
        if not self._unwritten:
            asyncio.get_running_loop().call_later(HISTORY_FLUSH_SECONDS, self.flush_history)
        self._unwritten.append(line)

    def flush_history(self) -> None:
        if self._unwritten and self.history is not None:
            with self.history.open("a", encoding="utf-8") as out:
                out.write("".join(self._unwritten))
        self._unwritten.clear()

    # -- shared pieces ----------------------------------------------------------------------------

    def open_chat(self, user_id: int) -> None:
        """A user has written to the bot: the bot may now write to them."""
        self.rules.user_wrote(user_id)
        self.chats.setdefault(user_id, [])

    def set_blocked(self, user_id: int, blocked: bool) -> None:
        """The user blocks the bot (its sends get 403) or unblocks it."""
        self.rules.set_blocked(user_id, blocked)

    def _name(self, user_id: int) -> tuple[str, str]:
        return self.names.get(user_id, (f"用户{user_id}", f"user{user_id}"))

    def _user(self, user_id: int) -> dict:
        name, username = self._name(user_id)
        return {"id": user_id, "is_bot": False, "first_name": name, "username": username, "language_code": "zh-hans"}

    def _chat(self, user_id: int) -> dict:
        name, username = self._name(user_id)
        return {"id": user_id, "type": "private", "first_name": name, "username": username}

    def _chat_condition(self, chat_id: int) -> asyncio.Condition:
        return self._chat_changed.setdefault(chat_id, asyncio.Condition())

    async def _notify(self, chat_id: int | None = None) -> None:
        """Wake the bot's getUpdates (``chat_id`` None) or the clients waiting on one chat."""
        condition = self.changed if chat_id is None else self._chat_condition(chat_id)
        async with condition:
            condition.notify_all()

    def _store(self, record: Record) -> Record:
        self.records[record.message_id] = record
        self.chats.setdefault(record.chat_id, []).append(record)
        self._journal(_history_line(record))
        return record

    def api_message(self, record: Record) -> dict:
        """The Bot API's Message object for a record."""
        message: dict[str, Any] = {"message_id": record.message_id, "date": record.date, "chat": self._chat(record.chat_id),
                                   "from": BOT_USER if record.sender == "bot" else self._user(record.chat_id)}
        if record.document:
            message["document"] = {k: record.document[k] for k in ("file_id", "file_unique_id", "file_name", "file_size")}
        if record.photo:
            message["photo"] = [{"file_id": record.photo.split("/")[0], "file_unique_id": record.photo.split("/")[0],
                                 "width": 1, "height": 1}]
        if record.document or record.photo:
            if record.text:
                message["caption"] = record.text
        else:
            message["text"] = record.text
            if record.entities:
                message["entities"] = record.entities
            if record.text.startswith("/") and record.sender == "user":
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(record.text.split()[0])}]
        if record.reply_markup:
            message["reply_markup"] = record.reply_markup
        if record.edited:
            message["edit_date"] = int(time.time())
        return message

    async def _push_update(self, payload: dict, chat_id: int) -> None:
        self.updates.append({"update_id": next(self._update_ids), **payload})
        await self._notify()
        await self._notify(chat_id)

    def _save_file(self, name: str, data: bytes) -> dict:
        """Keep a file under the data directory; the oldest are removed once they pass `FILES_BUDGET`."""
        file_id = uuid.uuid4().hex
        safe = re.sub(r"[^\w.\-]", "_", name) or "file"
        (self.files_dir / file_id).mkdir()
        (self.files_dir / file_id / safe).write_bytes(data)
        meta = _file_meta(file_id, safe, len(data))
        self.files[file_id] = meta
        self._keep_within_budget()
        return meta

    def _keep_within_budget(self) -> None:
        total = sum(meta["file_size"] for meta in self.files.values())
        for file_id in list(self.files):
            if total <= FILES_BUDGET or len(self.files) == 1:
                return
            meta = self.files.pop(file_id)
            total -= meta["file_size"]
            shutil.rmtree(self.files_dir / file_id, ignore_errors=True)

    # -- the client side (the web chat, tests, benchmarks) ---------------------------------------

    async def client_send(self, user_id: int, text: str) -> int:
        self.open_chat(user_id)
        record = self._store(Record(next(self._message_ids), user_id, "user", text))
        await self._push_update({"message": self.api_message(record)}, user_id)
        return record.message_id

    async def client_upload(self, user_id: int, name: str, data: bytes, caption: str = "") -> int:
        self.open_chat(user_id)
        meta = self._save_file(name, data)
        record = self._store(Record(next(self._message_ids), user_id, "user", caption, document=meta))
        await self._push_update({"message": self.api_message(record)}, user_id)
        return record.message_id

    async def client_press(self, user_id: int, message_id: int, data: str) -> None:
        record = self.records.get(message_id)
        if record is None or record.chat_id != user_id or record.sender != "bot":
            raise ApiError(400, "这条消息已不在沙盒中，请重新发送命令 · this message is no longer in the sandbox; send the command again")
        query = {"id": uuid.uuid4().hex, "from": self._user(user_id), "chat_instance": str(user_id),
                 "message": self.api_message(record), "data": data}
        self.rules.query_made(query["id"])
        await self._push_update({"callback_query": query}, user_id)

    async def client_messages(self, user_id: int, after: int, wait: float, edits_after: int | None) -> list[dict]:
        def fresh() -> list[Record]:
            chat = self.chats.get(user_id, [])
            return [r for r in chat if r.message_id > after or (edits_after is not None and r.edit_seq > edits_after)]

        if not fresh() and wait > 0:
            condition = self._chat_condition(user_id)
            async with condition:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(condition.wait_for(lambda: bool(fresh())), timeout=min(wait, MAX_WAIT))
        return [r.client() for r in fresh()]

    # -- the Bot API -----------------------------------------------------------------------------

    def _chat_id(self, params: dict, method: str) -> int:
        chat_id = params.get("chat_id")
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat_id is empty")
        try:
            chat_id = int(chat_id)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None
        if chat_id <= 0:
            raise ApiError(400, "Bad Request: chat not found")
        self.rules.may_write(chat_id, method)
        return chat_id

    def _markup(self, params: dict) -> dict | None:
        return limits.check_markup(params.get("reply_markup"))

    def _bot_record(self, params: dict, method: str) -> Record:
        chat_id = self._chat_id(params, method)
        record = self.records.get(int(params.get("message_id") or 0))
        if record is None or record.chat_id != chat_id:
            raise ApiError(400, "Bad Request: message to edit not found")
        return record

    async def _edited(self, record: Record) -> dict:
        record.edited = True
        record.edit_seq = self.edit_seq = next(self._edit_seq)
        self._journal(_history_line(record))
        await self._notify(record.chat_id)
        return self.api_message(record)

    async def call(self, method: str, params: dict, files: dict[str, tuple[str, bytes]]) -> Any:
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found")
        return await handler(params, files)

    async def api_getMe(self, params, files):
        return BOT_USER

    async def api_logOut(self, params, files):
        return True

    async def api_close(self, params, files):
        return True

    async def api_deleteWebhook(self, params, files):
        return True

    async def api_getWebhookInfo(self, params, files):
        return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self.updates)}

    @staticmethod
    def _menu_key(params: dict) -> tuple[str, int | None, str]:
        scope = params.get("scope") or {"type": "default"}
        chat_id = scope.get("chat_id")
        return scope.get("type", "default"), None if chat_id is None else int(chat_id), params.get("language_code") or ""

    async def api_setMyCommands(self, params, files):
        commands = params.get("commands")
        limits.check_commands(commands)
        key = self._menu_key(params)
        self.menus[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        self._journal(_menu_line(key, self.menus[key]))
        return True

    async def api_deleteMyCommands(self, params, files):
        key = self._menu_key(params)
        self.menus.pop(key, None)
        self._journal(_menu_line(key, []))
        return True

    async def api_getMyCommands(self, params, files):
        return self.menus.get(self._menu_key(params), [])

    def menu_for(self, user_id: int) -> list[dict]:
        """The menu Telegram shows this user: the bot's menu for the chat, else its default one."""
        return self.menus.get(("chat", user_id, "")) or self.menus.get(("default", None, ""), [])

    async def api_sendChatAction(self, params, files):
        self._chat_id(params, "sendChatAction")
        return True

    async def api_answerCallbackQuery(self, params, files):
        limits.check_answer_text(params.get("text"))
        self.rules.answer(params.get("callback_query_id"))
        return True

    async def api_getUpdates(self, params, files):
        offset = int(params.get("offset") or 0)
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        timeout = min(float(params.get("timeout") or 0), MAX_WAIT)
        if not self.updates and timeout > 0:
            async with self.changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait_for(lambda: bool(self.updates)), timeout=timeout)
        allowed = params.get("allowed_updates")
        updates = [u for u in self.updates if not allowed or any(k in allowed for k in u if k != "update_id")]
        return updates[: int(params.get("limit") or 100)]

    async def api_sendMessage(self, params, files):
        text, entities = limits.parse_entities(limits.check_text(params.get("text"), params.get("parse_mode")),
                                               params.get("parse_mode"))
        markup = self._markup(params)
        chat_id = self._chat_id(params, "sendMessage")
        record = self._store(Record(next(self._message_ids), chat_id, "bot", text, markup, entities=entities))
        await self._notify(chat_id)
        return self.api_message(record)

    async def _send_file(self, kind: str, params: dict, files: dict):
        caption = limits.check_caption(params.get("caption"), params.get("parse_mode"))
        markup = self._markup(params)
        chat_id = self._chat_id(params, "sendDocument" if kind == "document" else "sendPhoto")
        if kind in files:
            name, data = files[kind]
            meta = self._save_file(name, data)
        elif isinstance(params.get(kind), str) and params[kind] in self.files:
            meta = self.files[params[kind]]
        else:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        record = Record(next(self._message_ids), chat_id, "bot", caption, markup)
        if kind == "photo":
            record.photo = f"{meta['file_id']}/{meta['file_name']}"
        else:
            record.document = meta
        self._store(record)
        await self._notify(chat_id)
        return self.api_message(record)

    async def api_sendDocument(self, params, files):
        return await self._send_file("document", params, files)

    async def api_sendPhoto(self, params, files):
        return await self._send_file("photo", params, files)

    async def api_editMessageText(self, params, files):
        record = self._bot_record(params, "editMessageText")
        text, entities = limits.parse_entities(limits.check_text(params.get("text"), params.get("parse_mode")),
                                               params.get("parse_mode"))
        markup = self._markup(params)
        if (text, entities, markup) == (record.text, record.entities, record.reply_markup):
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply "
                                "markup are exactly the same as a current content and reply markup of the message")
        record.text, record.entities, record.reply_markup = text, entities, markup
        return await self._edited(record)

    async def api_editMessageReplyMarkup(self, params, files):
        record = self._bot_record(params, "editMessageReplyMarkup")
        markup = self._markup(params)
        if markup == record.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified")
        record.reply_markup = markup
        return await self._edited(record)

    async def api_getFile(self, params, files):
        meta = self.files.get(str(params.get("file_id")))
        if meta is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        limits.check_download(meta["file_size"])
        return {k: meta[k] for k in ("file_id", "file_unique_id", "file_size", "file_path")}

    def file_path(self, path: str) -> Path | None:
        match = re.fullmatch(r"(?:documents/)?([0-9a-f]{32})/([\w.\-]+)", path)
        if not match or match.group(1) not in self.files:
            return None
        return self.files_dir / match.group(1) / match.group(2)


# -- HTTP ------------------------------------------------------------------------------------------

def _decode(name: str, value: Any) -> Any:
    """A JSON-serialised parameter as its object; a text that merely looks like JSON stays a text."""
    if name in JSON_PARAMS and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
    return value


async def _params(request: web.Request) -> tuple[dict, dict[str, tuple[str, bytes]]]:
    params: dict[str, Any] = dict(request.query)
    files: dict[str, tuple[str, bytes]] = {}
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.method == "POST":
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = (value.filename or key, value.file.read())
            else:
                params[key] = value
    return {k: _decode(k, v) for k, v in params.items()}, files


def _file_meta(file_id: str, name: str, size: int) -> dict:
    """A kept file as the Bot API describes it (getFile, a message's document)."""
    return {"file_id": file_id, "file_unique_id": file_id[:16], "file_name": name, "file_size": size,
            "file_path": f"documents/{file_id}/{name}"}


def _history_line(record: Record) -> str:
    return json.dumps(vars(record), ensure_ascii=False) + "\n"  # its fields (asdict would deep-copy them first)


def _menu_line(key: tuple, commands: list[dict]) -> str:
    return json.dumps({"menu": list(key), "commands": commands}, ensure_ascii=False) + "\n"


def _error(error: ApiError) -> web.Response:
    return web.json_response(error.payload(), status=error.code)


def create_app(sandbox: Sandbox, hosts: frozenset[str] = frozenset()) -> web.Application:
    """The sandbox's HTTP side. The Bot API is guarded by the bot's token; the page, the client API and the
    files by ``sandbox.access_token``, and, when ``hosts`` is given, by the Host and Origin headers."""
    routes = web.RouteTableDef()

    @web.middleware
    async def guard(request: web.Request, handler):
        if request.path.startswith(("/bot", "/file/bot")):
            return await handler(request)
        if hosts and request.host not in hosts:
            return web.json_response({"ok": False, "error": "unknown host"}, status=403)
        origin = request.headers.get("Origin")
        if hosts and origin is not None and origin not in {f"http://{h}" for h in hosts}:
            return web.json_response({"ok": False, "error": "cross-origin request refused"}, status=403)
        given = request.headers.get(TOKEN_HEADER) or request.query.get("token") or ""
        if sandbox.access_token and not hmac.compare_digest(given, sandbox.access_token):
            return web.json_response({"ok": False, "error": "the sandbox access token is missing or wrong"},
                                     status=401)
        return await handler(request)

    def check_token(request: web.Request) -> None:
        if request.match_info["token"] != sandbox.token:
            raise ApiError(401, "Unauthorized")

    @routes.route("*", r"/bot{token}/{method}")
    async def bot_api(request: web.Request) -> web.Response:
        try:
            check_token(request)
            params, files = await _params(request)
            result = await sandbox.call(request.match_info["method"], params, files)
        except ApiError as exc:
            return _error(exc)
        except (ValueError, TypeError) as exc:
            return _error(ApiError(400, f"Bad Request: {exc}"))
        return web.json_response({"ok": True, "result": result})

    @routes.get(r"/file/bot{token}/{path:.+}")
    async def bot_file(request: web.Request) -> web.StreamResponse:
        try:
            check_token(request)
        except ApiError as exc:
            return _error(exc)
        path = sandbox.file_path(request.match_info["path"])
        return web.FileResponse(path) if path and path.exists() else _error(ApiError(404, "Not Found"))

    @routes.get(r"/sandbox/files/{path:.+}")
    async def client_file(request: web.Request) -> web.StreamResponse:
        path = sandbox.file_path(request.match_info["path"])
        return web.FileResponse(path) if path and path.exists() else web.Response(status=404)

    def bad(message: str) -> web.Response:
        return web.json_response({"ok": False, "error": message}, status=400)

    def user_id_of(value: Any) -> int:
        user_id = int(value)
        if user_id <= 0:
            raise ValueError("user_id must be a positive integer")
        return user_id

    @routes.post("/sandbox/api/send")
    async def send(request: web.Request) -> web.Response:
        try:
            body = await request.json()
            user_id = user_id_of(body["user_id"])
            text = body["text"]
            if not isinstance(text, str) or not text.strip() or len(text) > limits.MAX_TEXT:
                return bad(f"text must be 1 to {limits.MAX_TEXT} characters")
        except (ValueError, KeyError, TypeError) as exc:
            return bad(f"send needs {{user_id: int, text: str}}: {exc}")
        return web.json_response({"ok": True, "message_id": await sandbox.client_send(user_id, text)})

    @routes.post("/sandbox/api/press")
    async def press(request: web.Request) -> web.Response:
        try:
            body = await request.json()
            await sandbox.client_press(user_id_of(body["user_id"]), int(body["message_id"]), str(body["data"]))
        except ApiError as exc:
            return bad(exc.description)
        except (ValueError, KeyError, TypeError) as exc:
            return bad(f"press needs {{user_id: int, message_id: int, data: str}}: {exc}")
        return web.json_response({"ok": True})

    @routes.post("/sandbox/api/upload")
    async def upload(request: web.Request) -> web.Response:
        try:
            form = await request.post()
            user_id = user_id_of(form["user_id"])
            file = form["file"]
            if not isinstance(file, web.FileField):
                return bad("file must be a file")
        except (ValueError, KeyError, TypeError) as exc:
            return bad(f"upload needs multipart user_id and file: {exc}")
        message_id = await sandbox.client_upload(user_id, file.filename or "file", file.file.read(),
                                                 str(form.get("caption") or ""))
        return web.json_response({"ok": True, "message_id": message_id})

    @routes.post("/sandbox/api/block")
    async def block(request: web.Request) -> web.Response:
        """The user blocks the bot (``blocked``: true) or unblocks it: Telegram answers the bot's sends with 403."""
        try:
            body = await request.json()
            sandbox.set_blocked(user_id_of(body["user_id"]), bool(body.get("blocked", True)))
        except (ValueError, KeyError, TypeError) as exc:
            return bad(f"block needs {{user_id: int, blocked: bool}}: {exc}")
        return web.json_response({"ok": True})

    @routes.get("/sandbox/api/messages")
    async def messages(request: web.Request) -> web.Response:
        try:
            user_id = user_id_of(request.query["user_id"])
            after = int(request.query.get("after", 0))
            wait = float(request.query.get("wait", 0))
            edits_after = int(request.query["edits_after"]) if "edits_after" in request.query else None
        except (ValueError, KeyError) as exc:
            return bad(f"messages needs user_id, optional after and wait: {exc}")
        found = await sandbox.client_messages(user_id, after, wait, edits_after)
        body: dict[str, Any] = {"messages": found, "boot": sandbox.boot}
        if edits_after is not None:
            body["edit_seq"] = sandbox.edit_seq
        return web.json_response(body)

    @routes.get("/sandbox/api/commands")
    async def commands(request: web.Request) -> web.Response:
        """The command menu this user sees (the web chat's "/" button)."""
        try:
            user_id = user_id_of(request.query["user_id"])
        except (ValueError, KeyError) as exc:
            return bad(f"commands needs user_id: {exc}")
        return web.json_response({"commands": sandbox.menu_for(user_id)})

    @routes.get("/")
    async def index(request: web.Request) -> web.Response:
        page = resources.files("bot.sandbox").joinpath("static/index.html").read_text(encoding="utf-8")
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    app = web.Application(client_max_size=50 * 1024 * 1024, middlewares=[guard])
    app.add_routes(routes)
    return app
