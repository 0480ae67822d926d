-- tests/test_dialects.py::test_trait_case_sql[last_time-duckdb]
-- trait case 'last_time'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      "events"."contact_id",
      MAX("events"."ts") FILTER(WHERE
        "events"."event" = 'purchase'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)) AS "f0" /* last ts: purchase */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    NOT "event_facts"."f0" IS NULL
    AND (
      "event_facts"."f0" >= CAST('2026-03-24 12:00:00' AS TIMESTAMP)
      AND "event_facts"."f0" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
    )
)
/* members of trait_last_time: last_purchase is within the last 7 days */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  NOT "event_facts"."f0" IS NULL
  AND (
    "event_facts"."f0" >= CAST('2026-03-24 12:00:00' AS TIMESTAMP)
    AND "event_facts"."f0" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
  )
