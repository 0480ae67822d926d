-- tests/test_dialects.py::test_trait_case_sql[not_avg_is_exact-snowflake]
-- trait case 'not avg is exact'; dialect snowflake, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      "events"."contact_id",
      CAST(SUM(
        CASE
          WHEN "events"."event" = 'purchase'
          AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
          THEN CAST("events"."amount" AS DECIMAL(38, 6))
        END
      ) AS DOUBLE) / NULLIF(
        COUNT(
          CASE
            WHEN "events"."event" = 'purchase'
            AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
            THEN "events"."amount"
          END
        ),
        0
      ) AS "f0" /* avg of amount: purchase */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    NOT "event_facts"."f0" IS NULL AND "event_facts"."f0" < 100
)
/* members of trait_not_avg_is_exact: not (average_amount is less than 100) */
SELECT
  "contacts"."contact_id"
FROM contacts
LEFT JOIN event_facts
  ON "event_facts"."contact_id" = "contacts"."contact_id"
WHERE
  NOT (
    NOT "event_facts"."f0" IS NULL AND "event_facts"."f0" < 100
  )
