"""Runs workflows: versioned definitions, step journal, policies, reviews, agent events."""
