"""The store's agents: typed input and output, confidence, rationale, evidence, allowed tools."""
