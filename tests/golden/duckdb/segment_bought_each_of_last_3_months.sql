-- tests/test_dialects.py::test_example_segment_sql[bought_each_of_last_3_months-duckdb]
-- example segment bought_each_of_last_3_months (data/segments/bought_each_of_last_3_months.yaml); dialect duckdb, as_of 2026-06-30T18:00:00+00:00, zone UTC
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
        AND "events"."ts" >= CAST('2026-05-30 18:00:00' AS TIMESTAMP)
        AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)) AS "f0", /* count: purchase in the last 1 month */
      COUNT(*) FILTER(WHERE
        "events"."event" = 'purchase'
        AND "events"."ts" >= CAST('2026-04-30 18:00:00' AS TIMESTAMP)
        AND "events"."ts" < CAST('2026-05-30 18:00:00' AS TIMESTAMP)) AS "f1", /* count: purchase from 2 months ago to 1 month ago (not included) */
      COUNT(*) FILTER(WHERE
        "events"."event" = 'purchase'
        AND "events"."ts" >= CAST('2026-03-30 18:00:00' AS TIMESTAMP)
        AND "events"."ts" < CAST('2026-04-30 18:00:00' AS TIMESTAMP)) AS "f2" /* count: purchase from 3 months ago to 2 months ago (not included) */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" >= CAST('2026-03-30 18:00:00' AS TIMESTAMP)
      AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)
      AND (
        (
          "events"."event" = 'purchase'
          AND "events"."ts" >= CAST('2026-05-30 18:00:00' AS TIMESTAMP)
          AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)
        )
        OR (
          "events"."event" = 'purchase'
          AND "events"."ts" >= CAST('2026-04-30 18:00:00' AS TIMESTAMP)
          AND "events"."ts" < CAST('2026-05-30 18:00:00' AS TIMESTAMP)
        )
        OR (
          "events"."event" = 'purchase'
          AND "events"."ts" >= CAST('2026-03-30 18:00:00' AS TIMESTAMP)
          AND "events"."ts" < CAST('2026-04-30 18:00:00' AS TIMESTAMP)
        )
      )
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    COALESCE("event_facts"."f0", 0) >= 1
    AND COALESCE("event_facts"."f1", 0) >= 1
    AND COALESCE("event_facts"."f2", 0) >= 1
)
/* members of bought_each_of_last_3_months: performed purchase in each of the last 3 months */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  COALESCE("event_facts"."f0", 0) >= 1
  AND COALESCE("event_facts"."f1", 0) >= 1
  AND COALESCE("event_facts"."f2", 0) >= 1
