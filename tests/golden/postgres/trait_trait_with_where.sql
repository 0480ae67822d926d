-- tests/test_dialects.py::test_trait_case_sql[trait_with_where-postgres]
-- trait case 'trait with where'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      "events"."contact_id",
      SUM(CAST("events"."amount" AS DECIMAL(38, 6))) FILTER(WHERE
        "events"."event" = 'purchase'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
        AND (
          NOT "events"."category" IS NULL AND LOWER("events"."category") = LOWER('shoes')
        )) AS "f0" /* sum of amount: purchase (where category is "shoes" (ignoring case)) */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
      AND (
        "events"."event" = 'purchase'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
        AND (
          NOT "events"."category" IS NULL AND LOWER("events"."category") = LOWER('shoes')
        )
      )
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    NOT COALESCE("event_facts"."f0", 0) IS NULL
    AND COALESCE("event_facts"."f0", 0) BETWEEN 300 AND 300.25
)
/* members of trait_trait_with_where: shoe_spend is between 300 and 300.25 */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  NOT COALESCE("event_facts"."f0", 0) IS NULL
  AND COALESCE("event_facts"."f0", 0) BETWEEN 300 AND 300.25
