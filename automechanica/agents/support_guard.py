"""What a support answer may claim: only what its tool results say.

Every sentence of an answer — a model's wording or text quoted from a document —
passes `Guard.check` before the customer sees it:

- a fit claim that contradicts check_fit's verdict is replaced by the verdict's own
  sentence (said once);
- a sentence naming an order number the tools did not return for this shopper, or
  a dollar amount the tool results do not hold, is dropped;
- a sentence that reads as instructions to an assistant ("ignore previous
  instructions", "system:") is dropped: documents and customers give data, never
  orders.

Whether the answer stated the verdict at all is tracked, so the agent can add it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from automechanica.agents.support_tools import ORDER_NUMBER, FitAnswer

SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
NEGATIVE_FIT = re.compile(
    r"\b(?:does\s*n[o']t|doesn't|do\s+not|won't|will\s+not|isn't|is\s+not|not|never|no)\s+"
    r"(?:\w+\s+){0,2}(?:fit|fits|compatible)\b|\bincompatible\b",
    re.IGNORECASE,
)
POSITIVE_FIT = re.compile(
    r"\b(?:fits|will\s+fit|does\s+fit|is\s+compatible|compatible\s+with|a\s+fit\s+for)\b",
    re.IGNORECASE,
)
UNSURE_FIT = re.compile(
    r"\b(?:depends|need\s+(?:to\s+know|more)|which\s+(?:engine|submodel|trim)|tell\s+(?:me|us))\b",
    re.IGNORECASE,
)
MONEY = re.compile(r"\$\s?(\d[\d,]*(?:\.\d{1,2})?)")
INSTRUCTIONS = re.compile(
    r"ignore\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier|other)\s+"
    r"(?:instructions?|prompts?|rules?)|disregard\s+(?:all|any|the|previous|prior)\b|"
    r"\bsystem\s+prompt\b|^\s*(?:system|assistant|developer)\s*:|\byou\s+are\s+now\b|"
    r"\bnew\s+instructions?\b|\b(?:as\s+an?\s+)?ai\s+(?:assistant|model)\s*,?\s+you\s+must\b",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


def fit_sentence(fit: FitAnswer) -> str:
    """The verdict in words that cannot be misread; check_fit's own explanation follows."""
    if fit.verdict == "universal":
        return f"Yes, {fit.part_label} fits your {fit.vehicle}: it is a universal part."
    if fit.verdict == "fits":
        return f"Yes, {fit.part_label} fits your {fit.vehicle}."
    if fit.verdict == "does_not_fit":
        return f"No, {fit.part_label} does not fit your {fit.vehicle}."
    ask = (fit.ask_next or "configuration").replace("_", " ")
    options = f" ({', '.join(fit.ask_options)})" if fit.ask_options else ""
    return (
        f"I need more information: whether {fit.part_label} fits your {fit.vehicle} "
        f"depends on its {ask}{options}. Which one is it?"
    )


def fit_claim(sentence: str) -> str | None:
    """'negative', 'positive', 'unsure' or None for a sentence that claims nothing."""
    if NEGATIVE_FIT.search(sentence):
        return "negative"
    if UNSURE_FIT.search(sentence) and re.search(r"\bfit", sentence, re.IGNORECASE):
        return "unsure"
    if POSITIVE_FIT.search(sentence):
        return "positive"
    return None


def agrees(claim: str, verdict: str) -> bool:
    if verdict in ("fits", "universal"):
        return claim == "positive"
    if verdict == "does_not_fit":
        return claim == "negative"
    return claim == "unsure"


def _amounts(value: Any) -> set[str]:
    text = json.dumps(value, default=str)
    found = {m.replace(",", "") for m in MONEY.findall(text)}
    found |= set(re.findall(r"\d+\.\d{2}", text))
    return {_money(a) for a in found}


def _money(amount: str) -> str:
    try:
        return f"{float(amount.replace(',', '')):.2f}"
    except ValueError:
        return amount


@dataclass
class Guard:
    """Checks sentences against one turn's tool results."""

    fit: FitAnswer | None = None
    orders: set[str] = field(default_factory=set)
    facts: Any = None
    stated_fit: bool = False
    replaced: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    _amounts: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._amounts = _amounts(self.facts)
        self.orders = {o.upper() for o in self.orders}

    def check(self, sentence: str) -> str | None:
        """The sentence as the customer may read it, or None to leave it out."""
        if INSTRUCTIONS.search(sentence):
            self.dropped.append(sentence)
            return None
        if any(n.upper() not in self.orders for n in ORDER_NUMBER.findall(sentence)):
            self.dropped.append(sentence)
            return None
        if any(_money(a) not in self._amounts for a in MONEY.findall(sentence)):
            self.dropped.append(sentence)
            return None
        if self.fit is not None and (claim := fit_claim(sentence)) is not None:
            if agrees(claim, self.fit.verdict):
                self.stated_fit = True
                return sentence
            self.replaced.append(sentence)
            if self.stated_fit:
                return None
            self.stated_fit = True
            return fit_sentence(self.fit)
        return sentence

    def check_text(self, text: str) -> str:
        kept = [s for s in (self.check(x) for x in split_sentences(text)) if s]
        return " ".join(kept)
