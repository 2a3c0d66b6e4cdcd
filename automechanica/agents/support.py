"""Support: answers a shopper from the catalog, fit checks, their orders and the store's
policies, citing what it used, and hands over to a person when asked or unsure.

Deterministic first. What the question needs is decided by rules (a hand-over
request, an order, a fit question, a policy question, a request to change
something, a part search), and the tools of `support_tools` — reads only — are
called through the agent's Toolbox. The answer is then worded:

- offline (no router, or only the offline model configured): from the tool results,
  in fixed wording, streamed in small chunks;
- with a real model: the model writes the wording from the tool results (quoted as
  data), streamed sentence by sentence, each sentence checked by `support_guard`
  first — a fit claim that contradicts check_fit is replaced, order numbers and
  prices the tools did not return are dropped — and the fit verdict is added when
  the model left it out. A model that fails falls back to the fixed wording.

Customer text and documents are data: a customer's message only ever picks which
reads to make, with the caller's identity bound into the tools, and nothing the
agent can call writes. Below the `support.answer` policy's threshold the answer
says so and the conversation goes to a person.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from automechanica.agents.base import Decision, Evidence, ModelUse, Toolbox, as_data
from automechanica.agents.support_guard import Guard, fit_sentence, split_sentences
from automechanica.agents.support_tools import (
    AGENT,
    EMAIL,
    NO_VEHICLE,
    ORDER_NUMBER,
    PART_REF,
    FitAnswer,
    OrderView,
    PartHit,
    PolicyHit,
)
from automechanica.errors import AutoMechanicaError
from automechanica.llm import Router
from automechanica.llm.types import LLMRequest, Message, ToolCall

DECISION = "support.answer"
YEAR = re.compile(r"(?:19|20)\d\d")
DEFAULT_THRESHOLD = 0.5
CHUNK_CHARS = 24
Intent = Literal[
    "handover", "greeting", "order", "order_change", "change_refused", "fit", "policy", "search"
]

HANDOVER = re.compile(
    r"\b(?:human|real\s+person|a\s+person|representative|operator|live\s+agent|"
    r"someone\s+real|customer\s+service|talk\s+to\s+(?:someone|somebody|a\s+person))\b",
    re.IGNORECASE,
)
GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|thanks|thank\s+you|good\s+(?:morning|evening))\b[\s!.,]*$", re.I
)
ORDER_WORDS = re.compile(
    r"\b(?:my\s+order|order\s+status|where\s+is\s+my|tracking|shipped)\b", re.I
)
ORDER_CHANGE = re.compile(
    r"\b(?:cancel|change|modify|update)\b[^.?!]{0,30}\b(?:order|address|shipping)\b", re.I
)
WRITE_REQUEST = re.compile(
    r"\b(?:set|change|lower|reduce|update|make|drop)\b[^.?!]{0,40}\b(?:price|prices|cost)\b|"
    r"\b(?:mark|record|add|remove|delete)\b[^.?!]{0,40}\b(?:fitment|fit|listing)\b|"
    r"\b(?:refund|discount|coupon|free)\b[^.?!]{0,20}\b(?:me|now|please)\b",
    re.I,
)
FIT_WORDS = re.compile(
    r"\b(?:fit|fits|fitment|compatible|work\s+(?:on|with|for|in)|right\s+one\s+for)\b", re.I
)
POLICY_WORDS = re.compile(
    r"\b(?:return|returns|refund|exchange|ship|shipping|deliver|delivery|warranty|guarantee|"
    r"core|deposit|policy|policies)\b",
    re.I,
)
STOP = {
    "a", "an", "and", "are", "can", "could", "do", "does", "for", "from", "have", "how",
    "i", "if", "in", "is", "it", "me", "my", "of", "on", "or", "our", "please", "the",
    "this", "that", "to", "want", "what", "which", "will", "with", "would", "you", "your",
    "car", "truck", "vehicle", "fit", "fits", "fitment", "compatible", "work", "right",
    "one", "need", "find", "looking", "buy", "get", "any", "some", "there",
}  # fmt: skip


class Citation(BaseModel):
    """A part, document or order an answer drew on."""

    kind: Literal["part", "document", "order"]
    ref: str
    title: str
    url: str | None = None


class SupportAnswer(BaseModel):
    text: str
    intent: Intent
    citations: list[Citation] = Field(default_factory=list)
    handover: bool = False
    handover_reason: str | None = None
    fit: FitAnswer | None = None
    tools: list[str] = Field(default_factory=list, description="tool calls made, in order")
    guard: list[str] = Field(default_factory=list, description="sentences replaced or dropped")


@dataclass(frozen=True)
class Chunk:
    """Text to show now."""

    text: str


@dataclass(frozen=True)
class Done:
    """The whole answer, once every chunk is out."""

    decision: Decision[SupportAnswer]


@dataclass
class Findings:
    """What the tools returned in one turn."""

    parts: list[PartHit] = field(default_factory=list)
    fit: FitAnswer | None = None
    orders: list[OrderView] = field(default_factory=list)
    policies: list[PolicyHit] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "parts": [p.model_dump() for p in self.parts],
            "fit_check": self.fit.model_dump() if self.fit else None,
            "orders": [o.model_dump() for o in self.orders],
            "policy_passages": [p.model_dump() for p in self.policies],
            "refused": self.refusals,
        }


@dataclass
class Draft:
    intent: Intent
    text: str
    confidence: float
    rationale: str
    handover_reason: str | None = None


def classify(text: str) -> Intent:
    if HANDOVER.search(text):
        return "handover"
    if GREETING.match(text):
        return "greeting"
    if ORDER_CHANGE.search(text):
        return "order_change"
    if WRITE_REQUEST.search(text):
        return "change_refused"
    if ORDER_NUMBER.search(text) or ORDER_WORDS.search(text):
        return "order"
    if FIT_WORDS.search(text):
        return "fit"
    if POLICY_WORDS.search(text):
        return "policy"
    return "search"


def keywords(text: str) -> str:
    words = re.findall(r"[A-Za-z0-9][A-Za-z0-9&'-]*", text.lower())
    return " ".join(w for w in words if w not in STOP and not ORDER_NUMBER.match(w))[:200]


class SupportAgent:
    """One turn at a time: plan the reads, make them, word the answer, stream it."""

    name = AGENT

    def __init__(self, router: Router | None = None, *, threshold: float = DEFAULT_THRESHOLD):
        self.router = router
        self.threshold = threshold

    async def respond(
        self,
        text: str,
        tools: Toolbox,
        *,
        has_vehicle: bool,
        signed_in: bool,
        workflow_id: Any = None,
    ) -> AsyncIterator[Chunk | Done]:
        """Chunks of the answer as they are ready, then Done with the whole decision."""
        findings = Findings()
        draft = await self._draft(text, tools, findings, has_vehicle, signed_in)
        handover_reason = draft.handover_reason
        if handover_reason is None and draft.confidence < self.threshold:
            handover_reason = f"low confidence ({draft.confidence:.2f}): {draft.rationale}"
        body = draft.text
        if handover_reason is not None:
            body += " I'm handing this conversation to a person on our team; they will reply here."
        spoken: list[str] = []
        guard = Guard(
            fit=findings.fit,
            orders={o.number for o in findings.orders},
            facts=findings.as_json(),
        )
        model: ModelUse | None = None
        worded = False
        if self.router is not None and draft.intent not in ("handover", "greeting"):
            request = self._request(text, findings, draft, workflow_id)
            if not self.router.chain(request)[0].offline:
                used: list[ModelUse] = []
                async for piece in self._model_wording(request, guard, spoken, used):
                    yield Chunk(piece)
                worded = bool(spoken)
                model = used[0] if used else None
        if not worded:
            for piece in _chunks(body):
                spoken.append(piece)
                yield Chunk(piece)
        elif guard.fit is not None and not guard.stated_fit:
            extra = " " + fit_sentence(guard.fit)
            spoken.append(extra)
            yield Chunk(extra)
        if worded and handover_reason is not None:
            note = " I'm handing this conversation to a person on our team; they will reply here."
            spoken.append(note)
            yield Chunk(note)
        answer = SupportAnswer(
            text="".join(spoken).strip(),
            intent=draft.intent,
            citations=citations(findings),
            handover=handover_reason is not None,
            handover_reason=handover_reason,
            fit=findings.fit,
            tools=findings.calls,
            guard=[f"replaced: {s}" for s in guard.replaced]
            + [f"dropped: {s}" for s in guard.dropped],
        )
        yield Done(
            Decision(
                decision_type=DECISION,
                output=answer,
                confidence=draft.confidence,
                rationale=draft.rationale,
                evidence=[
                    Evidence(kind=c.kind, ref=c.ref, detail=c.title) for c in answer.citations
                ],
                model=model,
                refused=list(tools.refused),
            )
        )

    # -- planning and reading --------------------------------------------------------

    async def _call(
        self, tools: Toolbox, findings: Findings, name: str, arguments: dict[str, Any]
    ) -> Any:
        findings.calls.append(name)
        result = await tools.call(
            ToolCall(id=f"{name}-{len(findings.calls)}", name=name, arguments=arguments)
        )
        if not result.ok:
            findings.refusals.append(result.refusal or name)
            return None
        return result.value

    async def _draft(
        self,
        text: str,
        tools: Toolbox,
        findings: Findings,
        has_vehicle: bool,
        signed_in: bool,
    ) -> Draft:
        intent = classify(text)
        if intent == "handover":
            return Draft(
                intent,
                "Of course.",
                1.0,
                "The customer asked for a person.",
                handover_reason="the customer asked for a person",
            )
        if intent == "greeting":
            return Draft(
                intent,
                "Hello! I can find parts, check whether a part fits your vehicle, look up your "
                "orders, and answer questions about returns, shipping, core charges and warranty.",
                0.9,
                "A greeting.",
            )
        if intent == "order_change":
            return Draft(
                intent,
                "I can look orders up but not change or cancel them.",
                0.9,
                "An order change needs a person.",
                handover_reason="the customer wants to change or cancel an order",
            )
        if intent == "change_refused":
            return Draft(
                intent,
                "I can only look things up for you: I can't change prices, fitments or orders. "
                "I'm happy to find a part, check its fit or explain our policies.",
                0.9,
                "A request to change store data; support only reads.",
            )
        if intent == "order":
            return await self._order(text, tools, findings, signed_in)
        if intent == "fit":
            return await self._fit(text, tools, findings, has_vehicle)
        if intent == "policy":
            return await self._policy(text, tools, findings)
        return await self._search(text, tools, findings, has_vehicle)

    async def _order(self, text: str, tools: Toolbox, findings: Findings, signed_in: bool) -> Draft:
        number = ORDER_NUMBER.search(text)
        email = EMAIL.search(text)
        if number is None and not signed_in:
            return Draft(
                "order",
                "Please give me your order number (it starts with AM-) and the email you "
                "used at checkout.",
                0.8,
                "A guest asked about an order without its number and email.",
            )
        args = {
            "number": number.group(0) if number else None,
            "email": email.group(0) if email else None,
        }
        orders = await self._call(tools, findings, "order_status", args)
        if not orders:
            refusal = findings.refusals[-1] if findings.refusals else "no orders"
            if number is None:
                return Draft(
                    "order", "I don't see any orders on your account yet.", 0.8, "No orders."
                )
            return Draft("order", refusal, 0.85, "The order is not the caller's or does not exist.")
        findings.orders = list(orders)
        lines = [_order_line(o) for o in findings.orders]
        return Draft("order", " ".join(lines), 0.95, f"{len(lines)} order(s) of the caller.")

    async def _part_for(self, text: str, tools: Toolbox, findings: Findings) -> PartHit | None:
        link = PART_REF.search(text)
        numbers = [w for w in keywords(text).split() if _part_number_like(w)]
        query = link.group(0) if link else " or ".join(numbers) or keywords(text)
        if not query:
            return None
        hits = await self._call(tools, findings, "search_parts", {"query": query, "limit": 3})
        if not hits and " " in query:
            either = " or ".join(query.split())
            hits = await self._call(tools, findings, "search_parts", {"query": either, "limit": 3})
        return hits[0] if hits else None

    async def _fit(self, text: str, tools: Toolbox, findings: Findings, has_vehicle: bool) -> Draft:
        part = await self._part_for(text, tools, findings)
        if part is None:
            return Draft(
                "fit",
                "I don't know which part you mean. Give me its part number or a link to its page.",
                0.3,
                "No part named or found for a fit question.",
            )
        findings.parts = [part]
        fit = await self._call(
            tools, findings, "check_fit", {"part_id": part.id, "vehicle": text[:500]}
        )
        if fit is None and findings.refusals and findings.refusals[-1] == NO_VEHICLE:
            return Draft(
                "fit",
                f"To check whether {part.brand} {part.part_number} fits, I need your vehicle: "
                "choose it in your garage, or tell me its year, make and model.",
                0.7,
                "A fit question without a vehicle.",
            )
        if fit is None:
            return Draft(
                "fit", "I couldn't check that part's fit.", 0.2, "; ".join(findings.refusals)
            )
        findings.fit = fit
        words = [fit_sentence(fit)]
        if fit.verdict not in ("universal", "need_more_information"):
            words.append(fit.explanation)
        if fit.verify:
            words.append(f"Please verify: {', '.join(fit.verify)}.")
        words.append(f"Part page: {part.url}")
        return Draft("fit", " ".join(words), fit.confidence, f"check_fit: {fit.verdict}")

    async def _policy(self, text: str, tools: Toolbox, findings: Findings) -> Draft:
        hits = await self._call(
            tools, findings, "policy_lookup", {"question": text[:500], "limit": 2}
        )
        if not hits:
            return Draft(
                "policy",
                "I don't know the answer to that from our policies.",
                0.2,
                "No policy passage matched.",
            )
        findings.policies = list(hits)
        guard = Guard()  # quoted text is data: instructions and foreign orders are left out
        best = hits[0]
        quoted = guard.check_text(" ".join(_relevant(best.text, text)))
        if not quoted:
            return Draft(
                "policy",
                "I don't know the answer to that from our policies.",
                0.2,
                "Nothing quotable.",
            )
        return Draft(
            "policy",
            f"From our {best.document} policy: {quoted}",
            0.8,
            f"Policy passage from {best.document}.",
        )

    async def _search(
        self, text: str, tools: Toolbox, findings: Findings, has_vehicle: bool
    ) -> Draft:
        query = keywords(text)
        hits = None
        if query:
            hits = await self._call(
                tools, findings, "search_parts", {"query": query, "fits_my_vehicle": has_vehicle}
            )
        if not hits:
            return Draft(
                "search",
                "I don't know of a part that matches that.",
                0.2,
                "The question matched no tool and no part.",
            )
        findings.parts = list(hits)
        scope = " that fit your vehicle" if has_vehicle else ""
        listed = "; ".join(f"{p.brand} {p.part_number} {p.title} ({p.url})" for p in hits)
        return Draft(
            "search",
            f"Parts{scope} matching '{query}': {listed}.",
            0.7,
            f"{len(hits)} parts found.",
        )

    # -- the model's wording -----------------------------------------------------------

    def _request(self, text: str, findings: Findings, draft: Draft, workflow_id: Any) -> LLMRequest:
        return LLMRequest(
            task_kind="support.chat",
            complexity="low",
            agent=AGENT,
            workflow_id=workflow_id,
            max_tokens=300,
            messages=(
                Message(
                    role="system",
                    content="You are the support assistant of an auto-parts store. Answer the "
                    "customer in at most four short plain-text sentences, using only the tool "
                    "results. State the fit check's verdict exactly as it is. Never mention "
                    "orders, prices or parts the tool results do not contain. If the results "
                    "do not answer the question, say you do not know.",
                ),
                Message(
                    role="user",
                    content=as_data("customer message", text)
                    + "\n\n"
                    + as_data("tool results", findings.as_json())
                    + "\n\n"
                    + as_data("draft answer", draft.text),
                ),
            ),
        )

    async def _model_wording(
        self, request: LLMRequest, guard: Guard, spoken: list[str], used: list[ModelUse]
    ) -> AsyncIterator[str]:
        """The model's sentences, each checked before it is shown."""
        assert self.router is not None
        buffer = ""
        try:
            async with self.router.stream(request) as stream:
                async for delta in stream:
                    buffer += delta
                    *done, buffer = _complete_sentences(buffer)
                    for sentence in done:
                        if (checked := guard.check(sentence)) is not None:
                            piece = (" " if spoken else "") + checked
                            spoken.append(piece)
                            yield piece
            if buffer.strip() and (checked := guard.check(buffer.strip())) is not None:
                piece = (" " if spoken else "") + checked
                spoken.append(piece)
                yield piece
            if stream.response is not None:
                used.append(ModelUse.of(stream.response))
        except AutoMechanicaError:
            return  # before any sentence: the fixed wording follows; after: what was shown stands


def _part_number_like(word: str) -> bool:
    """PH7317, BP-1234, 0986424384: letters with digits, or a long number (not a year)."""
    digits = sum(ch.isdigit() for ch in word)
    if not digits or len(word) < 4 or ORDER_NUMBER.fullmatch(word):
        return False
    return digits < len(word) or (len(word) >= 6 and not YEAR.fullmatch(word))


def _complete_sentences(buffer: str) -> list[str]:
    """Finished sentences, and the unfinished rest last."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", buffer)
    return [p.strip() for p in parts[:-1] if p.strip()] + [parts[-1]]


def _chunks(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """Pieces of about `size` characters, cut after a space."""
    pieces: list[str] = []
    current = ""
    for word in re.findall(r"\S+\s*", text):
        current += word
        if len(current) >= size:
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces


def _relevant(passage: str, question: str, keep: int = 3) -> list[str]:
    """The passage's sentences sharing most words with the question, in their order."""
    wanted = set(keywords(question).split())
    sentences = [s for s in split_sentences(passage) if not s.startswith("#")]
    scored = sorted(
        range(len(sentences)),
        key=lambda i: -len(wanted & set(keywords(sentences[i]).split())),
    )[:keep]
    return [sentences[i] for i in sorted(scored)]


def _order_line(order: OrderView) -> str:
    items = ", ".join(f"{line.quantity} × {line.title}" for line in order.lines)
    placed = f"placed {order.placed_at}, total ${order.total}"
    return f"Order {order.number} ({placed}) is {order.status}" + (f": {items}." if items else ".")


def citations(findings: Findings) -> list[Citation]:
    cited = [
        Citation(
            kind="part",
            ref=f"part:{p.id}",
            title=f"{p.brand} {p.part_number} {p.title}",
            url=p.url,
        )
        for p in findings.parts
    ]
    seen: set[str] = set()
    for hit in findings.policies:
        if hit.document not in seen:
            seen.add(hit.document)
            cited.append(Citation(kind="document", ref=f"chunk:{hit.chunk_id}", title=hit.document))
    cited += [
        Citation(kind="order", ref=o.number, title=f"Order {o.number}") for o in findings.orders
    ]
    return cited
