-- tests/test_dialects.py::test_case_sql[first_performed_before-postgres]
-- semantic case 'first_performed before'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
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
        AND "events"."ts" < CAST('2026-01-01 00:00:00' AS TIMESTAMP)) AS "f0" /* count: purchase before 2026-01-01 */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" < CAST('2026-01-01 00:00:00' AS TIMESTAMP)
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    COALESCE("event_facts"."f0", 0) >= 1
)
/* members of case_first_performed_before: performed purchase before 2026-01-01 */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  COALESCE("event_facts"."f0", 0) >= 1
