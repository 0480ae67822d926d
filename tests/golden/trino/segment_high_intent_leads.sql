-- tests/test_dialects.py::test_example_segment_sql[high_intent_leads-trino]
-- example segment high_intent_leads (data/segments/high_intent_leads.yaml); dialect trino, as_of 2026-06-30T18:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      "events"."contact_id",
      COUNT(*) FILTER(WHERE
        "events"."event" = 'pricing_page_view'
        AND "events"."ts" >= CAST('2026-05-31 18:00:00' AS TIMESTAMP)
        AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)) AS "f0", /* count: pricing_page_view in the last 30 days */
      COUNT(*) FILTER(WHERE
        "events"."event" = 'demo_request'
        AND "events"."ts" >= CAST('2026-05-31 18:00:00' AS TIMESTAMP)
        AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)) AS "f1" /* count: demo_request in the last 30 days */
    FROM events
    WHERE
      "events"."event" IN ('demo_request', 'pricing_page_view')
      AND "events"."ts" >= CAST('2026-05-31 18:00:00' AS TIMESTAMP)
      AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    COALESCE("event_facts"."f0", 0) >= 1 OR COALESCE("event_facts"."f1", 0) >= 1
)
/* members of high_intent_leads: performed pricing_page_view in the last 30 days and performed demo_request in the last 30 days */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  COALESCE("event_facts"."f0", 0) >= 1 AND COALESCE("event_facts"."f1", 0) >= 1
