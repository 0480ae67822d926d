-- tests/test_dialects.py::test_example_segment_sql[festival_window_last_purchase-trino]
-- example segment festival_window_last_purchase (data/segments/festival_window_last_purchase.yaml); dialect trino, as_of 2026-06-30T18:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    "events"."contact_id",
    COUNT(*) FILTER(WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" >= CAST('2025-10-10 00:00:00' AS TIMESTAMP)
      AND "events"."ts" < CAST('2025-11-16 00:00:00' AS TIMESTAMP)) AS "f0", /* count: purchase between 2025-10-10 and 2025-11-15 */
    COUNT(*) FILTER(WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" >= CAST('2025-11-16 00:00:00' AS TIMESTAMP)
      AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)) AS "f1" /* count: purchase after 2025-11-15 */
  FROM events
  WHERE
    "events"."event" = 'purchase'
    AND "events"."ts" >= CAST('2025-10-10 00:00:00' AS TIMESTAMP)
    AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)
    AND (
      (
        "events"."event" = 'purchase'
        AND "events"."ts" >= CAST('2025-10-10 00:00:00' AS TIMESTAMP)
        AND "events"."ts" < CAST('2025-11-16 00:00:00' AS TIMESTAMP)
      )
      OR (
        "events"."event" = 'purchase'
        AND "events"."ts" >= CAST('2025-11-16 00:00:00' AS TIMESTAMP)
        AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)
      )
    )
  GROUP BY
    "events"."contact_id"
)
/* members of festival_window_last_purchase: performed purchase between 2025-10-10 and 2025-11-15 and did not perform purchase after 2025-11-15 */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  COALESCE("event_facts"."f0", 0) >= 1 AND COALESCE("event_facts"."f1", 0) = 0
