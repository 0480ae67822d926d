-- tests/test_dialects.py::test_example_segment_sql[non_responsive_15d-postgres]
-- example segment non_responsive_15d (data/segments/non_responsive_15d.yaml); dialect postgres, as_of 2026-06-30T18:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    "events"."contact_id",
    COUNT(*) FILTER(WHERE
      "events"."event" = 'message_received'
      AND "events"."ts" >= CAST('2026-06-15 18:00:00' AS TIMESTAMP)
      AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)) AS "f0", /* count: message_received in the last 15 days */
    COUNT(*) FILTER(WHERE
      "events"."event" = 'message_replied'
      AND "events"."ts" >= CAST('2026-06-15 18:00:00' AS TIMESTAMP)
      AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)) AS "f1" /* count: message_replied in the last 15 days */
  FROM events
  WHERE
    "events"."event" IN ('message_received', 'message_replied')
    AND "events"."ts" >= CAST('2026-06-15 18:00:00' AS TIMESTAMP)
    AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)
  GROUP BY
    "events"."contact_id"
)
/* members of non_responsive_15d: performed message_received in the last 15 days and did not perform message_replied in the last 15 days */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  COALESCE("event_facts"."f0", 0) >= 1 AND COALESCE("event_facts"."f1", 0) = 0
