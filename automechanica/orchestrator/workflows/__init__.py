"""The store's workflow definitions, every version still running, in one registry."""

from __future__ import annotations

from collections.abc import Mapping

from automechanica.orchestrator.definitions import Workflow, WorkflowRegistry
from automechanica.orchestrator.reviews import Apply

WORKFLOWS: list[Workflow] = []
REVIEW_ACTIONS: dict[str, Apply] = {}


def workflow_registry() -> WorkflowRegistry:
    return WorkflowRegistry(WORKFLOWS)


def review_actions() -> Mapping[str, Apply]:
    return REVIEW_ACTIONS
