"""Policies as data: a confidence threshold per decision type, hard limits, retry rules.

Seeded from policies.toml, then kept in the `policies` table and edited by people;
every change is stored with who made it and why. `judge` is where results meet
policy: below threshold → hold for a person; a hard limit broken → reject,
whatever the confidence (the limits live here, not in the agents).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from typing import Annotated, Any, Literal

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from automechanica.errors import NotFoundError
from automechanica.fields import NotBool
from automechanica.orchestrator.errors import PolicyError

SELECT_POLICIES = """
SELECT decision_type, threshold, limits, version, description, max_attempts, updated_at
FROM policies ORDER BY decision_type
"""
SELECT_POLICY = """
SELECT decision_type, threshold, limits, version, description, max_attempts, updated_at
FROM policies WHERE decision_type = %(type)s
"""
LOCK_POLICY = SELECT_POLICY + " FOR UPDATE"
SEED_POLICY = """
INSERT INTO policies (decision_type, threshold, limits, version, description, max_attempts)
VALUES (%(type)s, %(threshold)s, %(limits)s, %(version)s, %(description)s, %(max_attempts)s)
ON CONFLICT (decision_type) DO NOTHING
RETURNING decision_type
"""
UPDATE_POLICY = """
UPDATE policies SET threshold = %(threshold)s, limits = %(limits)s,
       max_attempts = %(max_attempts)s, version = version + 1, updated_at = now()
WHERE decision_type = %(type)s
"""
INSERT_CHANGE = """
INSERT INTO policy_changes (decision_type, before, after, changed_by, reason)
VALUES (%(type)s, %(before)s, %(after)s, %(by)s, %(reason)s)
"""
SELECT_CHANGES = """
SELECT decision_type, before, after, changed_by, reason, changed_at FROM policy_changes
WHERE decision_type = %(type)s ORDER BY id DESC LIMIT %(limit)s
"""


class Policy(BaseModel):
    decision_type: str
    threshold: float = Field(ge=0, le=1)
    limits: dict[str, Any] = Field(default_factory=dict)
    version: int = 1
    description: str | None = None
    max_attempts: int = Field(default=3, ge=1, le=20)


def seed_file() -> dict[str, Policy]:
    text = resources.files("automechanica.orchestrator").joinpath("policies.toml").read_text()
    data = tomllib.loads(text)
    found: dict[str, Policy] = {}
    for family, members in data.items():
        for name, body in members.items():
            decision_type = f"{family}.{name}"
            found[decision_type] = Policy(decision_type=decision_type, **body)
    return found


async def seed_policies(conn: AsyncConnection[Any]) -> list[str]:
    """Insert the seed file's policies that the table lacks; returns those added."""
    added = []
    for policy in seed_file().values():
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(SEED_POLICY, _params(policy))
            if await cur.fetchone():
                added.append(policy.decision_type)
    return added


def _params(policy: Policy) -> dict[str, Any]:
    return {
        "type": policy.decision_type,
        "threshold": policy.threshold,
        "limits": Jsonb(policy.limits),
        "version": policy.version,
        "description": policy.description,
        "max_attempts": policy.max_attempts,
    }


async def all_policies(conn: AsyncConnection[Any]) -> list[Policy]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_POLICIES)
        return [Policy.model_validate(r) for r in await cur.fetchall()]


async def get_policy(conn: AsyncConnection[Any], decision_type: str) -> Policy:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_POLICY, {"type": decision_type})
        row = await cur.fetchone()
    if row is None:
        seeded = seed_file().get(decision_type)
        if seeded is None:
            raise NotFoundError("policy", decision_type)
        return seeded
    return Policy.model_validate(row)


class PolicyChange(BaseModel):
    threshold: Annotated[float, Field(ge=0, le=1), NotBool] | None = None
    limits: dict[str, Any] | None = None
    max_attempts: Annotated[int, Field(ge=1, le=20), NotBool] | None = None


async def set_policy(
    conn: AsyncConnection[Any], decision_type: str, change: PolicyChange, *, by: str, reason: str
) -> Policy:
    """Change a policy; the change is recorded with who and why, in the same transaction."""
    if not reason.strip():
        raise PolicyError("Say why the policy changes (--reason): it is kept with the change.")
    async with conn.transaction():
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(LOCK_POLICY, {"type": decision_type})
            row = await cur.fetchone()
        if row is None:
            raise NotFoundError("policy", decision_type)
        before = Policy.model_validate(row)
        after = before.model_copy(
            update={k: v for k, v in change.model_dump().items() if v is not None}
        )
        after = Policy.model_validate(after.model_dump())  # re-validate the merged policy
        await conn.execute(UPDATE_POLICY, _params(after))
        await conn.execute(
            INSERT_CHANGE,
            {
                "type": decision_type,
                "before": Jsonb(before.model_dump(exclude={"version"})),
                "after": Jsonb(after.model_dump(exclude={"version"})),
                "by": by,
                "reason": reason,
            },
        )
    return await get_policy(conn, decision_type)


async def policy_history(
    conn: AsyncConnection[Any], decision_type: str, limit: int = 20
) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_CHANGES, {"type": decision_type, "limit": limit})
        return await cur.fetchall()


# -- judging a result ------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    outcome: Literal["accept", "hold", "reject"]
    reasons: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.outcome == "accept"


MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>|&[a-zA-Z#0-9]+;|\[[^\]]*\]\([^)]*\)|^#{1,6}\s", re.M)
LINK = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:com|net|org|io|shop|store)\b")
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def text_problems(text: str, limits: dict[str, Any], grounding: str | None = None) -> list[str]:
    """Hard limits on generated text: no markup, no links, bounded length, and every
    number it states present in the data it was written from."""
    problems = []
    if limits.get("no_markup", True) and MARKUP.search(text):
        problems.append("the text carries markup (HTML tags, entities or Markdown)")
    if limits.get("no_links", True) and LINK.search(text):
        problems.append("the text carries a link")
    if len(text) > int(limits.get("max_chars", 5000)):
        problems.append(f"the text is longer than {limits.get('max_chars', 5000)} characters")
    if grounding is not None and limits.get("grounded_numbers", True):
        known = set(NUMBER.findall(grounding))
        unsupported = sorted({n for n in NUMBER.findall(text) if n not in known})
        if unsupported:
            problems.append(f"the text states numbers the data does not: {', '.join(unsupported)}")
    return problems


def price_problems(
    price: Decimal, *, cost: Decimal | None, map_price: Decimal | None, limits: dict[str, Any]
) -> list[str]:
    """The floor: never below cost × (1 + minimum margin), never below MAP."""
    problems = []
    if price <= 0:
        problems.append(f"the price {price} is not positive")
    if cost is not None:
        floor = (cost * (1 + Decimal(str(limits.get("min_margin", 0.15))))).quantize(
            Decimal("0.01")
        )
        if price < floor:
            problems.append(
                f"the price {price} is below cost {cost} plus the minimum margin ({floor})"
            )
    if map_price is not None and price < map_price:
        problems.append(f"the price {price} is below MAP {map_price}")
    return problems


def judge(policy: Policy, confidence: float, problems: list[str] | None = None) -> Verdict:
    """Hard limits first (reject), then the threshold (hold), else accept."""
    if problems:
        return Verdict("reject", list(problems))
    if confidence < policy.threshold:
        return Verdict(
            "hold",
            [
                f"confidence {confidence:.2f} is below the {policy.decision_type} threshold "
                f"{policy.threshold:.2f}"
            ],
        )
    return Verdict("accept")
