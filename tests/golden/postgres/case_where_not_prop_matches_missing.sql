-- tests/test_dialects.py::test_case_sql[where_not_prop_matches_missing-postgres]
-- semantic case 'where not prop matches missing'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
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
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
        AND (
          NOT (
            NOT "events"."amount" IS NULL AND "events"."amount" > 5
          )
        )) AS "f0" /* count: purchase (where not (amount is greater than 5)) */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
      AND (
        "events"."event" = 'purchase'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
        AND (
          NOT (
            NOT "events"."amount" IS NULL AND "events"."amount" > 5
          )
        )
      )
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    COALESCE("event_facts"."f0", 0) >= 1
)
/* members of case_where_not_prop_matches_missing: performed purchase (where not (amount is greater than 5)) */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  COALESCE("event_facts"."f0", 0) >= 1
