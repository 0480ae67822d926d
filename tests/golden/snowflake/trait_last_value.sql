-- tests/test_dialects.py::test_trait_case_sql[last_value-snowflake]
-- trait case 'last_value'; dialect snowflake, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      "events"."contact_id",
      (
        ARRAY_AGG(
          IFF(
            (
              "events"."event" = 'purchase'
              AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
            )
            AND NOT "events"."amount" IS NULL,
            "events"."amount",
            NULL
          )
        ) WITHIN GROUP (ORDER BY
          "events"."ts" DESC NULLS LAST,
          "events"."amount" DESC NULLS LAST)
      )[0] AS "f0" /* last value of amount: purchase */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    NOT "event_facts"."f0" IS NULL AND "event_facts"."f0" > 50
)
/* members of trait_last_value: last_amount is greater than 50 */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  NOT "event_facts"."f0" IS NULL AND "event_facts"."f0" > 50
