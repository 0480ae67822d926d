-- tests/test_dialects.py::test_pattern_case_sql[first_between_dates-trino]
-- pattern case 'first between dates'; dialect trino, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      "events"."contact_id",
      MIN("events"."ts") FILTER(WHERE
        "events"."event" = 'payment'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)) AS "f0" /* first ts: payment */
    FROM events
    WHERE
      "events"."event" = 'payment'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    NOT "event_facts"."f0" IS NULL
    AND "event_facts"."f0" >= CAST('2026-01-01 00:00:00' AS TIMESTAMP)
    AND "event_facts"."f0" < CAST('2026-02-01 00:00:00' AS TIMESTAMP)
)
/* members of pattern_first_between_dates: first performed payment between 2026-01-01 and 2026-01-31 */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  NOT "event_facts"."f0" IS NULL
  AND "event_facts"."f0" >= CAST('2026-01-01 00:00:00' AS TIMESTAMP)
  AND "event_facts"."f0" < CAST('2026-02-01 00:00:00' AS TIMESTAMP)
