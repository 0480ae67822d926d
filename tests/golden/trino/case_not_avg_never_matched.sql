-- tests/test_dialects.py::test_case_sql[not_avg_never_matched-trino]
-- semantic case 'not avg never matched'; dialect trino, as_of 2026-03-31T12:00:00+00:00, zone UTC
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
      CAST(SUM(CAST("events"."amount" AS DECIMAL(38, 6))) FILTER(WHERE
        "events"."event" = 'purchase'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)) AS DOUBLE) / NULLIF(
        COUNT("events"."amount") FILTER(WHERE
          "events"."event" = 'purchase'
          AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)),
        0
      ) AS "f1" /* avg of amount: purchase */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    COALESCE("event_facts"."f0", 0) >= 0
    AND (
      NOT "event_facts"."f1" IS NULL AND (
        "event_facts"."f1" > 5
      )
    )
)
/* members of case_not_avg_never_matched: not (performed purchase at least 0 times (including never), with average amount greater than 5) */
SELECT
  "contacts"."contact_id"
FROM contacts
LEFT JOIN event_facts
  ON "event_facts"."contact_id" = "contacts"."contact_id"
WHERE
  NOT (
    COALESCE("event_facts"."f0", 0) >= 0
    AND (
      NOT "event_facts"."f1" IS NULL AND (
        "event_facts"."f1" > 5
      )
    )
  )
