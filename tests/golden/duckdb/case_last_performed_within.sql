-- tests/test_dialects.py::test_case_sql[last_performed_within-duckdb]
-- semantic case 'last_performed within'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      "events"."contact_id",
      COUNT(*) FILTER(WHERE
        "events"."event" = 'login'
        AND "events"."ts" >= CAST('2026-03-17 12:00:00' AS TIMESTAMP)
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)) AS "f0" /* count: login in the last 14 days */
    FROM events
    WHERE
      "events"."event" = 'login'
      AND "events"."ts" >= CAST('2026-03-17 12:00:00' AS TIMESTAMP)
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    COALESCE("event_facts"."f0", 0) >= 1
)
/* members of case_last_performed_within: performed login in the last 14 days */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  COALESCE("event_facts"."f0", 0) >= 1
