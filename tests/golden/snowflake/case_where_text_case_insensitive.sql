-- tests/test_dialects.py::test_case_sql[where_text_case_insensitive-snowflake]
-- semantic case 'where text case-insensitive'; dialect snowflake, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      "events"."contact_id",
      COUNT(
        CASE
          WHEN "events"."event" = 'purchase'
          AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
          AND (
            NOT "events"."category" IS NULL
            AND CHARINDEX(LOWER('SHOE'), LOWER("events"."category")) > 0
          )
          THEN 1
        END
      ) AS "f0" /* count: purchase (where category contains "SHOE") */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
      AND (
        "events"."event" = 'purchase'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
        AND (
          NOT "events"."category" IS NULL
          AND CHARINDEX(LOWER('SHOE'), LOWER("events"."category")) > 0
        )
      )
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    COALESCE("event_facts"."f0", 0) >= 1
)
/* members of case_where_text_case_insensitive: performed purchase (where category contains "SHOE") */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  COALESCE("event_facts"."f0", 0) >= 1
