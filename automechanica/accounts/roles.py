"""The three roles and what each includes: an admin can do what an operator can."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    customer = "customer"
    operator = "operator"
    admin = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def includes(self, needed: Role) -> bool:
        """Whether this role may do what `needed` may (admin ⊃ operator ⊃ customer)."""
        return self.rank >= needed.rank


_RANK = {Role.customer: 0, Role.operator: 1, Role.admin: 2}
