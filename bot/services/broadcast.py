"""Broadcasts that survive anything: an outbox in the store, one row per recipient, marked in the step that
completes its send, so a crash or restart resumes where it stopped and nobody gets the message twice
except, at most, the `MAX_IN_FLIGHT` sends awaiting Telegram's answer at the moment of the crash.

The engine paces itself at IPBOT_BROADCAST_RATE (Telegram allows about 30 messages/s overall; each
recipient gets one message, so 1/s per chat holds), honours RetryAfter, retries transient errors with
backoff and marks chats that blocked the bot. It knows nothing of Telegram: a `Sender` (see
`handlers.broadcast`) turns each send into an `Outcome`.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from bot.services.container import Services
from bot.services.notify import Outcome, SendResult
from bot.store.broadcasts import OutboxCounts

#: Placeholders a broadcast text may use: the recipient's enterprise or bank name.
FIELDS = frozenset({"name"})
AUDIENCES = ("enterprises", "officers", "bank", "region", "industry", "everyone")
BATCH = 200
#: Sends awaiting Telegram's answer at once, so pacing holds while each takes a round trip: at 25/s, four keep
#: the rate up to 160 ms of latency; a crash may repeat at most these.
MAX_IN_FLIGHT = 4
MAX_ATTEMPTS = 5
PROGRESS_EVERY = 3.0


class TemplateProblem(ValueError):
    """``code``: ``syntax``, ``unknown_field`` or ``expression`` (more than a placeholder between the braces);
    ``detail`` says where or which (for ``expression``, the placeholders allowed)."""

    def __init__(self, code: str, detail: str):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def _only_placeholders(parsed: nodes.Template) -> None:
    """A broadcast text is words and ``{{ name }}``: no expression, filter, loop or call, so rendering it is
    as cheap as the text is long (``{{ 'a' * 10**9 }}`` is refused, not run)."""
    for node in parsed.body:
        for part in node.nodes if isinstance(node, nodes.Output) else [node]:
            if isinstance(part, nodes.TemplateData):
                continue
            if not (isinstance(part, nodes.Name) and part.name in FIELDS):
                raise TemplateProblem("expression", ", ".join(sorted(FIELDS)))


def check_text(text: str):
    """Compile a broadcast text, allowing only the placeholders in `FIELDS`."""
    try:
        parsed = _env.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateProblem("syntax", f"{exc.lineno}: {exc.message}") from None
    unknown = meta.find_undeclared_variables(parsed) - FIELDS
    if unknown:
        raise TemplateProblem("unknown_field", ", ".join(sorted(unknown)))
    _only_placeholders(parsed)
    template = _env.from_string(text)
    try:
        template.render(name="")
    except (UndefinedError, TypeError, ValueError) as exc:
        raise TemplateProblem("syntax", str(exc)) from None
    return template


async def recipients(services: Services, audience: str, value: object = None) -> dict[int, str]:
    """Chat id -> name (for ``{{ name }}``) of everyone the audience reaches, blocked chats left out."""
    store = services.store
    if audience == "enterprises":
        return await store.enterprises.active_chats()
    if audience == "officers":
        return await store.banks.officer_chats()
    if audience == "bank":
        return await store.banks.officer_chats(int(value))
    if audience == "region":
        return await store.enterprises.active_chats(region=str(value))
    if audience == "industry":
        return await store.enterprises.active_chats(industry=str(value))
    if audience == "everyone":
        everyone = {chat_id: "" for chat_id in await store.chats.reachable()}
        return everyone | await store.enterprises.active_chats() | await store.banks.officer_chats()
    raise ValueError(audience)


Sender = Callable[[int, str, str | None], Awaitable[SendResult]]


@dataclass(frozen=True)
class Progress:
    broadcast_id: int
    counts: OutboxCounts
    rate: float
    finished: str | None

    @property
    def total(self) -> int:
        c = self.counts
        return c.pending + c.sent + c.failed + c.blocked

    @property
    def eta_seconds(self) -> int:
        return int(self.counts.pending / self.rate) if self.rate > 0 else 0


class BroadcastEngine:
    """Sends one broadcast's outbox; `run` returns when it is done or cancelled (status no longer sending)."""

    def __init__(self, services: Services, sender: Sender, *, rate: float,
                 on_progress: Callable[[Progress], Awaitable[None]] | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], Awaitable] = asyncio.sleep,
                 backoff: float = 0.5):
        self.services = services
        self.sender = sender
        self.rate = rate
        self.on_progress = on_progress
        self.clock = clock
        self.sleep = sleep
        self.backoff = backoff
        #: Telegram's RetryAfter holds every send, not only the one it answered.
        self._resume_at = 0.0

    async def _progress(self, broadcast_id: int, finished: str | None = None) -> None:
        if self.on_progress is not None:
            counts = await self.services.store.broadcasts.counts(broadcast_id)
            await self.on_progress(Progress(broadcast_id, counts, self.rate, finished))

    async def _send_one(self, broadcast_id: int, chat_id: int, text: str, document: str | None, attempts: int) -> None:
        store = self.services.store
        while True:
            result = await self.sender(chat_id, text, document)
            if result.outcome is Outcome.SENT:
                await store.broadcasts.mark(broadcast_id, chat_id, "sent")
                return
            if result.outcome is Outcome.BLOCKED:
                await store.broadcasts.mark(broadcast_id, chat_id, "blocked", result.error)
                await store.chats.set_blocked(chat_id, True)
                return
            if result.outcome is Outcome.FAILED:
                await store.broadcasts.mark(broadcast_id, chat_id, "failed", result.error)
                return
            if result.outcome is Outcome.RETRY_AFTER:
                self._resume_at = max(self._resume_at, self.clock() + result.retry_after)
                await self.sleep(result.retry_after)
                continue
            attempts += 1
            if attempts >= MAX_ATTEMPTS:
                await store.broadcasts.mark(broadcast_id, chat_id, "failed", result.error)
                return
            await store.broadcasts.retry_later(broadcast_id, chat_id, result.error or "transient")
            await self.sleep(self.backoff * 2 ** (attempts - 1))

    async def run(self, broadcast_id: int) -> OutboxCounts:
        store = self.services.store
        broadcast = await store.broadcasts.get(broadcast_id)
        template = check_text(broadcast.text)
        interval = 1 / self.rate if self.rate > 0 else 0.0
        next_send = self.clock()
        last_progress = self.clock()
        in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        cancelled = False
        while not cancelled and await self._still_sending(broadcast_id):
            batch = await store.broadcasts.pending(broadcast_id, BATCH)
            if not batch:
                await store.broadcasts.finish(broadcast_id, "done", actor="broadcast")
                await self._progress(broadcast_id, "done")
                return await store.broadcasts.counts(broadcast_id)
            sends: list[asyncio.Task] = []
            try:
                for chat_id, name, attempts in batch:
                    await in_flight.acquire()
                    now = self.clock()
                    wait = max(next_send, self._resume_at) - now
                    if wait > 0:
                        await self.sleep(wait)
                    next_send = max(next_send, now) + interval
                    sends.append(asyncio.create_task(self._send_and_release(
                        in_flight, broadcast_id, chat_id, template.render(name=name), broadcast.document, attempts)))
                    if self.clock() - last_progress >= PROGRESS_EVERY:
                        last_progress = self.clock()
                        if not await self._still_sending(broadcast_id):
                            cancelled = True
                            break
                        await self._progress(broadcast_id)
            finally:
                await asyncio.gather(*sends)  # the batch's sends end (and are marked) before the next is read
        await self._progress(broadcast_id, "cancelled")
        return await store.broadcasts.counts(broadcast_id)

    async def _send_and_release(self, in_flight: asyncio.Semaphore, *send) -> None:
        try:
            await self._send_one(*send)
        finally:
            in_flight.release()

    async def _still_sending(self, broadcast_id: int) -> bool:
        return (await self.services.store.broadcasts.get(broadcast_id)).status == "sending"


async def cancel(services: Services, broadcast_id: int, actor: str) -> bool:
    """Stop a broadcast that is still sending; ``False`` if it had already ended."""
    broadcast = await services.store.broadcasts.get(broadcast_id)
    if broadcast is None or broadcast.status != "sending":
        return False
    await services.store.broadcasts.finish(broadcast_id, "cancelled", actor)
    return True


async def audience_choices(services: Services, audience: str) -> list[tuple[str, object]]:
    """The values an audience can be narrowed to, as (label, value): banks by name, regions, industries."""
    if audience == "bank":
        return [(b.name, b.id) for b in await services.store.banks.all()]
    return [(v, v) for v in await services.store.enterprises.distinct(audience)]


async def queue(services: Services, created_by: int, audience: str, value: object, text: str,
                document: str | None) -> tuple[int, int]:
    """Write the broadcast and its outbox (one row per recipient); returns its id and the recipient count."""
    found = await recipients(services, audience, value)
    if audience == "bank" and (bank := await services.store.banks.by_id(value)) is not None:
        value = bank.name
    label = audience if value is None else f"{audience}:{value}"
    broadcast = await services.store.broadcasts.create(created_by, label, text, found, document)
    return broadcast.id, len(found)


async def unfinished(services: Services) -> list:
    """Broadcasts still marked as sending after a crash or restart."""
    return await services.store.broadcasts.sending()


async def recent_with_counts(services: Services) -> list:
    store = services.store
    return [(b, await store.broadcasts.counts(b.id)) for b in await store.broadcasts.recent()]
