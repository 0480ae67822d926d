-- tests/test_dialects.py::test_pattern_case_sql[regularly_twice_a_month-duckdb]
-- pattern case 'regularly twice a month'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      "events"."contact_id",
      COUNT(*) FILTER(WHERE
        "events"."event" = 'purchase'
        AND "events"."ts" >= CAST('2026-02-28 12:00:00' AS TIMESTAMP)
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)) AS "f0", /* count: purchase in the last 1 month */
      COUNT(*) FILTER(WHERE
        "events"."event" = 'purchase'
        AND "events"."ts" >= CAST('2026-01-31 12:00:00' AS TIMESTAMP)
        AND "events"."ts" < CAST('2026-02-28 12:00:00' AS TIMESTAMP)) AS "f1" /* count: purchase from 2 months ago to 1 month ago (not included) */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" >= CAST('2026-01-31 12:00:00' AS TIMESTAMP)
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
      AND (
        (
          "events"."event" = 'purchase'
          AND "events"."ts" >= CAST('2026-02-28 12:00:00' AS TIMESTAMP)
          AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
        )
        OR (
          "events"."event" = 'purchase'
          AND "events"."ts" >= CAST('2026-01-31 12:00:00' AS TIMESTAMP)
          AND "events"."ts" < CAST('2026-02-28 12:00:00' AS TIMESTAMP)
        )
      )
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    COALESCE("event_facts"."f0", 0) >= 2 AND COALESCE("event_facts"."f1", 0) >= 2
)
/* members of pattern_regularly_twice_a_month: performed purchase at least twice in each of the last 2 months */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  COALESCE("event_facts"."f0", 0) >= 2 AND COALESCE("event_facts"."f1", 0) >= 2
