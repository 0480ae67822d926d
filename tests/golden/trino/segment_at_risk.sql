-- tests/test_dialects.py::test_example_segment_sql[at_risk-trino]
-- example segment at_risk (data/segments/at_risk.yaml); dialect trino, as_of 2026-06-30T18:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    "events"."contact_id",
    COUNT(*) FILTER(WHERE
      "events"."event" = 'support_ticket'
      AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)) AS "f0", /* count: support_ticket */
    COUNT(*) FILTER(WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" >= CAST('2026-05-01 18:00:00' AS TIMESTAMP)
      AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)) AS "f1" /* count: purchase in the last 60 days */
  FROM events
  WHERE
    "events"."event" IN ('purchase', 'support_ticket')
    AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)
    AND (
      (
        "events"."event" = 'support_ticket'
        AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)
      )
      OR (
        "events"."event" = 'purchase'
        AND "events"."ts" >= CAST('2026-05-01 18:00:00' AS TIMESTAMP)
        AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)
      )
    )
  GROUP BY
    "events"."contact_id"
)
/* members of at_risk: performed support_ticket more than 3 times and did not perform purchase in the last 60 days */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  COALESCE("event_facts"."f0", 0) > 3 AND COALESCE("event_facts"."f1", 0) = 0
