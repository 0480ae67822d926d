-- tests/test_dialects.py::test_pattern_case_sql[stopped_30d_after_60d-snowflake]
-- pattern case 'stopped 30d after 60d'; dialect snowflake, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    "events"."contact_id",
    COUNT(
      CASE
        WHEN "events"."event" = 'order'
        AND "events"."ts" >= CAST('2025-12-31 12:00:00' AS TIMESTAMPNTZ)
        AND "events"."ts" < CAST('2026-03-01 12:00:00' AS TIMESTAMPNTZ)
        THEN 1
      END
    ) AS "f0", /* count: order in the 60 days before the last 30 days */
    COUNT(
      CASE
        WHEN "events"."event" = 'order'
        AND "events"."ts" >= CAST('2026-03-01 12:00:00' AS TIMESTAMPNTZ)
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
        THEN 1
      END
    ) AS "f1" /* count: order in the last 30 days */
  FROM events
  WHERE
    "events"."event" = 'order'
    AND "events"."ts" >= CAST('2025-12-31 12:00:00' AS TIMESTAMPNTZ)
    AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
    AND (
      (
        "events"."event" = 'order'
        AND "events"."ts" >= CAST('2025-12-31 12:00:00' AS TIMESTAMPNTZ)
        AND "events"."ts" < CAST('2026-03-01 12:00:00' AS TIMESTAMPNTZ)
      )
      OR (
        "events"."event" = 'order'
        AND "events"."ts" >= CAST('2026-03-01 12:00:00' AS TIMESTAMPNTZ)
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
      )
    )
  GROUP BY
    "events"."contact_id"
)
/* members of pattern_stopped_30d_after_60d: performed order in the 60 days before the last 30 days and did not perform order in the last 30 days */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  COALESCE("event_facts"."f0", 0) >= 1 AND COALESCE("event_facts"."f1", 0) = 0
