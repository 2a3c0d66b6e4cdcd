"""The store's workflow definitions, every version still running, in one registry."""

from __future__ import annotations

from collections.abc import Mapping

from automechanica.orchestrator.definitions import Workflow, WorkflowRegistry
from automechanica.orchestrator.reviews import Apply, FollowUp
from automechanica.orchestrator.workflows import intake
from automechanica.orchestrator.workflows.analytics import NIGHTLY_ANALYTICS
from automechanica.orchestrator.workflows.fitment_text import apply_reviewed_reading
from automechanica.orchestrator.workflows.fulfillment import ORDER_FULFILLMENT
from automechanica.orchestrator.workflows.housekeeping import STORE_HOUSEKEEPING
from automechanica.orchestrator.workflows.interchange import DECISION_TYPE, apply_interchange
from automechanica.orchestrator.workflows.onboarding import (
    ONBOARDING,
    ONBOARDING_V1,
    ONBOARDING_V2,
    REVIEW_FOLLOWUPS,
)
from automechanica.orchestrator.workflows.pricing import PRICING_REFRESH, apply_reviewed_price
from automechanica.orchestrator.workflows.product_pages import apply_reviewed_page
from automechanica.orchestrator.workflows.returns import WRONG_FIT_RETURN, apply_reviewed_correction
from automechanica.orchestrator.workflows.seo_pages import SEO_BUILD
from automechanica.orchestrator.workflows.support import SUPPORT_CONVERSATION

WORKFLOWS: list[Workflow] = [
    ONBOARDING,
    ONBOARDING_V2,
    ONBOARDING_V1,
    PRICING_REFRESH,
    ORDER_FULFILLMENT,
    WRONG_FIT_RETURN,
    SUPPORT_CONVERSATION,
    NIGHTLY_ANALYTICS,
    STORE_HOUSEKEEPING,
    SEO_BUILD,
]
REVIEW_ACTIONS: dict[str, Apply] = {
    "product.attributes": apply_reviewed_page,
    **intake.REVIEW_ACTIONS,
    DECISION_TYPE: apply_interchange,
    "fitment.correction": apply_reviewed_correction,
    "pricing.price": apply_reviewed_price,
    "fitment.text_reading": apply_reviewed_reading,
}


def workflow_registry() -> WorkflowRegistry:
    return WorkflowRegistry(WORKFLOWS)


def review_actions() -> Mapping[str, Apply]:
    return REVIEW_ACTIONS


def review_followups() -> Mapping[str, FollowUp]:
    """What follows any decision of these item reviews (approve, edit or reject)."""
    return REVIEW_FOLLOWUPS
