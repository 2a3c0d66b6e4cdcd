"""The router's typed edges: what an agent asks for and what it gets back.

A request names *what* is needed (task kind, complexity, output schema, tools,
a cost ceiling), never *which* model: choosing is the router's job.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

Complexity = Literal["low", "medium", "high"]
Capability = Literal["json_schema", "tools"]
Role = Literal["system", "user", "assistant"]

#: Tiers from cheapest to strongest; a complexity asks for at least its own tier.
TIERS: tuple[Complexity, ...] = ("low", "medium", "high")

M = TypeVar("M", bound=BaseModel)


class Message(BaseModel):
    """One chat message; tool results travel as user text (agents keep tools simple)."""

    model_config = ConfigDict(frozen=True)

    role: Role
    content: str


class Tool(BaseModel):
    """A function the model may call; `parameters` is a JSON schema object."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})


class ToolCall(BaseModel):
    """A call the model asked for; arguments already parsed from JSON."""

    id: str
    name: str
    arguments: dict[str, Any]


class LLMRequest(BaseModel):
    """What an agent needs from a language model.

    `output` is a pydantic model: the router asks for structured output in its
    JSON schema and returns a validated instance in `LLMResponse.parsed`.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    task_kind: str
    messages: tuple[Message, ...]
    complexity: Complexity = "medium"
    output: type[BaseModel] | None = None
    tools: tuple[Tool, ...] = ()
    capabilities: frozenset[Capability] = frozenset()
    max_cost_usd: Decimal | None = Field(
        default=None, description="skip any model whose worst-case cost is above this"
    )
    workflow_budget_usd: Decimal | None = Field(
        default=None, description="this workflow's spend cap (overrides the router default)"
    )
    max_tokens: int = Field(default=1024, gt=0)
    temperature: float | None = None
    workflow_id: UUID | None = None
    task_id: int | None = None
    agent: str | None = None

    @classmethod
    def ask(cls, prompt: str, *, system: str | None = None, **fields: Any) -> LLMRequest:
        """A one-prompt request (`task_kind` defaults to "ask")."""
        messages = [Message(role="system", content=system)] if system else []
        messages.append(Message(role="user", content=prompt))
        fields.setdefault("task_kind", "ask")
        return cls(messages=tuple(messages), **fields)

    def required_capabilities(self) -> frozenset[Capability]:
        """What a model must support to serve this request."""
        needed = set(self.capabilities)
        if self.output is not None:
            needed.add("json_schema")
        if self.tools:
            needed.add("tools")
        return frozenset(needed)

    def output_schema(self) -> dict[str, Any] | None:
        """The JSON schema of `output`, or None for free text (shared: do not modify it)."""
        return None if self.output is None else _schema_of(self.output)


@lru_cache(maxsize=512)
def _schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """Built once per output model: pydantic rebuilds it on every call otherwise."""
    return model.model_json_schema()


class Usage(BaseModel):
    """Tokens as the provider counted them; None where it did not say."""

    tokens_in: int | None = None
    tokens_out: int | None = None
    tokens_cached: int | None = None


class LLMResponse(BaseModel):
    """The answer, and our own record of where it came from."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    text: str
    parsed: BaseModel | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    model: str = Field(description="the catalog model that answered (our record)")
    provider: str
    usage: Usage = Field(default_factory=Usage)
    cost_usd: Decimal | None = Field(description="None when the model has no price")
    latency_ms: float
    attempts: int = Field(description="attempts made for this request, this one included")
    fallback_reason: str | None = Field(
        default=None, description="why the answer is not from the first-choice model"
    )

    def output_as(self, model: type[M]) -> M:
        """`parsed`, typed as the request's output model."""
        if not isinstance(self.parsed, model):
            raise TypeError(
                f"the response holds {type(self.parsed).__name__}, not {model.__name__}"
            )
        return self.parsed
