-- tests/test_dialects.py::test_trait_case_sql[count_distinct-postgres]
-- trait case 'count_distinct'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      "events"."contact_id",
      COUNT(DISTINCT "events"."amount") FILTER(WHERE
        "events"."event" = 'purchase'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)) AS "f0" /* count distinct of amount: purchase */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    NOT COALESCE("event_facts"."f0", 0) IS NULL
    AND COALESCE("event_facts"."f0", 0) = 2
)
/* members of trait_count_distinct: amounts is 2 */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  NOT COALESCE("event_facts"."f0", 0) IS NULL
  AND COALESCE("event_facts"."f0", 0) = 2
