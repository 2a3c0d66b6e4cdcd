"""Every SQL statement of the router, named, parameter-bound, in one place.

`llm_calls` comes from migration 0001: `llm_calls_time (created_at)` serves the
usage report and the daily budget, `llm_calls_workflow (workflow_id)` the
per-workflow budget.
"""

from __future__ import annotations

from typing import Final

#: A batch of attempts in one statement (arrays in input order).
INSERT_CALLS: Final = """
INSERT INTO llm_calls (workflow_id, task_id, agent, task_kind, complexity, provider,
                       model_requested, model_used, attempt, tokens_in, tokens_out,
                       tokens_cached, latency_ms, cost_usd, outcome, error_kind,
                       fallback_reason, prompt_hash, created_at)
SELECT * FROM unnest(%(workflow_ids)s::uuid[], %(task_ids)s::bigint[], %(agents)s::text[],
                     %(task_kinds)s::text[], %(complexities)s::text[], %(providers)s::text[],
                     %(requested)s::text[], %(used)s::text[], %(attempts)s::smallint[],
                     %(tokens_in)s::integer[], %(tokens_out)s::integer[],
                     %(tokens_cached)s::integer[], %(latencies)s::real[],
                     %(costs)s::numeric[], %(outcomes)s::text[], %(error_kinds)s::text[],
                     %(reasons)s::text[], %(hashes)s::text[], %(created)s::timestamptz[])
"""

#: Known spend since a time (the daily budget); NULL costs (unpriced) are not counted.
SPEND_SINCE: Final = """
SELECT coalesce(sum(cost_usd), 0) AS spent FROM llm_calls WHERE created_at >= %(since)s
"""

#: Known spend of one workflow.
SPEND_OF_WORKFLOW: Final = """
SELECT coalesce(sum(cost_usd), 0) AS spent FROM llm_calls WHERE workflow_id = %(workflow_id)s
"""

#: `automechanica llm usage`: calls, tokens and cost per model since a time. Unpriced
#: successful calls are counted apart: their cost is unknown, not zero.
USAGE_BY_MODEL: Final = """
SELECT model_used AS key,
       count(*) AS calls,
       count(*) FILTER (WHERE outcome <> 'ok') AS errors,
       coalesce(sum(tokens_in), 0) AS tokens_in,
       coalesce(sum(tokens_out), 0) AS tokens_out,
       coalesce(sum(cost_usd), 0) AS cost_usd,
       count(*) FILTER (WHERE cost_usd IS NULL AND outcome = 'ok') AS unpriced
FROM llm_calls
WHERE created_at >= %(since)s
GROUP BY 1
ORDER BY cost_usd DESC, calls DESC, key
"""

#: The same per agent (calls made outside any agent show as "-").
USAGE_BY_AGENT: Final = """
SELECT coalesce(agent, '-') AS key,
       count(*) AS calls,
       count(*) FILTER (WHERE outcome <> 'ok') AS errors,
       coalesce(sum(tokens_in), 0) AS tokens_in,
       coalesce(sum(tokens_out), 0) AS tokens_out,
       coalesce(sum(cost_usd), 0) AS cost_usd,
       count(*) FILTER (WHERE cost_usd IS NULL AND outcome = 'ok') AS unpriced
FROM llm_calls
WHERE created_at >= %(since)s
GROUP BY 1
ORDER BY cost_usd DESC, calls DESC, key
"""

#: `automechanica llm models`: each model's recent record (health as seen in the log).
RECENT_BY_MODEL: Final = """
SELECT model_used AS model,
       count(*) AS calls,
       count(*) FILTER (WHERE outcome <> 'ok') AS errors,
       (array_agg(error_kind ORDER BY created_at DESC) FILTER (WHERE error_kind IS NOT NULL))[1]
           AS last_error,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50_ms
FROM llm_calls
WHERE created_at >= %(since)s
GROUP BY model_used
"""
