-- tests/test_dialects.py::test_case_sql[max_between-duckdb]
-- semantic case 'max between'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
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
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)) AS "f0", /* count: purchase */
      MAX("events"."amount") FILTER(WHERE
        "events"."event" = 'purchase'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)) AS "f1" /* max of amount: purchase */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    COALESCE("event_facts"."f0", 0) >= 1
    AND (
      NOT "event_facts"."f1" IS NULL AND (
        "event_facts"."f1" BETWEEN 100 AND 300
      )
    )
)
/* members of case_max_between: performed purchase, with largest amount between 100 and 300 */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  COALESCE("event_facts"."f0", 0) >= 1
  AND (
    NOT "event_facts"."f1" IS NULL AND (
      "event_facts"."f1" BETWEEN 100 AND 300
    )
  )
