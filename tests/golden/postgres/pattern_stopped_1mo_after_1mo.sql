-- tests/test_dialects.py::test_pattern_case_sql[stopped_1mo_after_1mo-postgres]
-- pattern case 'stopped 1mo after 1mo'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    "events"."contact_id",
    COUNT(*) FILTER(WHERE
      "events"."event" = 'order'
      AND "events"."ts" >= CAST('2026-01-28 12:00:00' AS TIMESTAMP)
      AND "events"."ts" < CAST('2026-02-28 12:00:00' AS TIMESTAMP)) AS "f0", /* count: order in the 1 month before the last 1 month */
    COUNT(*) FILTER(WHERE
      "events"."event" = 'order'
      AND "events"."ts" >= CAST('2026-02-28 12:00:00' AS TIMESTAMP)
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)) AS "f1" /* count: order in the last 1 month */
  FROM events
  WHERE
    "events"."event" = 'order'
    AND "events"."ts" >= CAST('2026-01-28 12:00:00' AS TIMESTAMP)
    AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
    AND (
      (
        "events"."event" = 'order'
        AND "events"."ts" >= CAST('2026-01-28 12:00:00' AS TIMESTAMP)
        AND "events"."ts" < CAST('2026-02-28 12:00:00' AS TIMESTAMP)
      )
      OR (
        "events"."event" = 'order'
        AND "events"."ts" >= CAST('2026-02-28 12:00:00' AS TIMESTAMP)
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
      )
    )
  GROUP BY
    "events"."contact_id"
)
/* members of pattern_stopped_1mo_after_1mo: performed order in the 1 month before the last 1 month and did not perform order in the last 1 month */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  COALESCE("event_facts"."f0", 0) >= 1 AND COALESCE("event_facts"."f1", 0) = 0
