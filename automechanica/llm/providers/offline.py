"""The offline provider: no network, always available, last in every chain.

Its answers are deterministic and built from the request alone: a template
registered for the task kind when there is one, otherwise, for structured
output, an object filled from the JSON schema with values extracted from the
prompt (`name: value` pairs, enum members it mentions, defaults, minimums), and
for free text a plain note that no model was used. A `confidence` field gets its
minimum, so policies route offline decisions to a person. The whole product
therefore works with no keys at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any

from pydantic import BaseModel

from automechanica.llm.errors import ProviderError
from automechanica.llm.failures import FailureKind
from automechanica.llm.providers.base import (
    Provider,
    ProviderRequest,
    ProviderResult,
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from automechanica.llm.types import LLMRequest, Usage

#: A template answers one task kind: text, a JSON-able dict, or a pydantic model.
Template = Callable[[LLMRequest], str | dict[str, Any] | BaseModel]

TEXT_FIELDS = {
    "text", "summary", "answer", "reply", "description", "rationale", "title",
    "content", "message", "explanation", "body",
}  # fmt: skip
EXCERPT_CHARS = 200


class OfflineProvider(Provider):
    """Deterministic answers from templates and extraction; never fails for lack of network."""

    def __init__(self, name: str = "offline", templates: Mapping[str, Template] | None = None):
        super().__init__(name)
        self.templates = dict(templates or {})

    def register(self, task_kind: str, template: Template) -> None:
        """Answer `task_kind` with `template` from now on."""
        self.templates[task_kind] = template

    def answer(self, request: ProviderRequest) -> str:
        source = request.source
        template = self.templates.get(source.task_kind)
        if template is not None:
            value = template(source)
            if isinstance(value, BaseModel):
                return value.model_dump_json()
            return value if isinstance(value, str) else json.dumps(value)
        prompt = _prompt_text(request)
        if request.schema is not None:
            return json.dumps(fill(request.schema, prompt))
        return (
            "[offline] No language model answered, so this reply was built without one. "
            f"Task {source.task_kind!r}; you wrote: “{_excerpt(prompt)}”"
        )

    async def complete(self, request: ProviderRequest) -> ProviderResult:
        try:
            text = self.answer(request)
        except Exception as exc:  # a broken template must read as this provider's failure
            raise ProviderError(
                FailureKind.INVALID_OUTPUT,
                f"offline template failed: {exc!r}",
                provider=self.name,
                model=request.model.name,
            ) from exc
        return ProviderResult(
            text=text, usage=Usage(tokens_in=0, tokens_out=0), finish_reason="stop"
        )

    async def stream(self, request: ProviderRequest) -> AsyncGenerator[StreamEvent, None]:
        result = await self.complete(request)
        for piece in re.findall(r"\S+\s*", result.text) or [result.text]:
            yield TextDelta(piece)
        yield StreamEnd(result.usage, "stop")


def _prompt_text(request: ProviderRequest) -> str:
    return "\n".join(m.content for m in request.messages if m.role == "user")


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"


# -- schema filling ------------------------------------------------------------------------


def fill(schema: dict[str, Any], prompt: str) -> Any:
    """A value valid for `schema` (pydantic's JSON schema subset), taken from `prompt`."""
    return _Filler(schema, prompt).value(schema, name="")


class _Filler:
    def __init__(self, root: dict[str, Any], prompt: str) -> None:
        self.root = root
        self.prompt = prompt

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            ref = str(schema["$ref"])
            node: Any = self.root
            for part in ref.removeprefix("#/").split("/"):
                node = node[part]
            schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema

    def extract(self, name: str) -> str | None:
        """The value after `name:` or `name =` in the prompt (underscores may be spaces)."""
        if not name:
            return None
        label = re.escape(name).replace("_", "[ _-]")
        found = re.search(rf"(?im)\b{label}\s*[:=]\s*(.+?)\s*(?:[;,]|$)", self.prompt)
        return found.group(1).strip().strip("\"'") if found else None

    def value(self, schema: dict[str, Any], name: str) -> Any:
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self.choose(schema["enum"], name)
        if "default" in schema and self.extract(name) is None:
            return schema["default"]
        options = schema.get("anyOf") or schema.get("oneOf")
        if options:
            return self.option(options, name)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object" or "properties" in schema:
            return {
                key: self.value(sub, key) for key, sub in (schema.get("properties") or {}).items()
            }
        if kind == "array":
            item = schema.get("items") or {}
            return [self.value(item, name) for _ in range(int(schema.get("minItems", 0)))]
        if kind == "string":
            return self.string(schema, name)
        if kind in ("integer", "number"):
            return self.number(schema, name, integer=kind == "integer")
        if kind == "boolean":
            raw = (self.extract(name) or "").lower()
            return raw in ("true", "yes", "y", "1")
        return None

    def choose(self, members: list[Any], name: str) -> Any:
        raw = (self.extract(name) or "").lower()
        lowered = self.prompt.lower()
        for member in members:
            if str(member).lower() == raw:
                return member
        for member in sorted(members, key=lambda m: -len(str(m))):
            if re.search(rf"\b{re.escape(str(member).lower())}\b", lowered):
                return member
        return members[0]

    def option(self, options: list[dict[str, Any]], name: str) -> Any:
        resolved = [self.resolve(o) for o in options]
        nullable = any(o.get("type") == "null" for o in resolved)
        concrete = [o for o in resolved if o.get("type") != "null"]
        if nullable and (not concrete or self.extract(name) is None):
            return None
        return self.value(concrete[0], name)

    def string(self, schema: dict[str, Any], name: str) -> str:
        text = self.extract(name)
        if text is None:
            text = _excerpt(self.prompt) if name.lower() in TEXT_FIELDS else ""
        minimum, maximum = int(schema.get("minLength", 0)), schema.get("maxLength")
        if len(text) < minimum:
            text = text + "-" * (minimum - len(text))
        return text if maximum is None else text[: int(maximum)]

    def number(self, schema: dict[str, Any], name: str, *, integer: bool) -> float | int:
        value: float = 0.0
        raw = self.extract(name)
        found = re.match(r"-?\d+(?:\.\d+)?", raw or "")
        if found and name.lower() != "confidence":
            value = float(found.group(0))
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        step = 1.0 if integer else 1e-6
        if low is not None and (value < low or name.lower() == "confidence"):
            value = float(low) + (step if "exclusiveMinimum" in schema else 0.0)
        if high is not None and value > high:
            value = float(high) - (step if "exclusiveMaximum" in schema else 0.0)
        return int(value) if integer else value
