-- tests/test_dialects.py::test_trait_case_sql[first_value_text-postgres]
-- trait case 'first_value text'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
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
          "events"."category" ORDER BY "events"."ts" ASC NULLS FIRST, "events"."category" DESC NULLS LAST
        ) FILTER(WHERE
          (
            "events"."event" = 'purchase'
            AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
          )
          AND NOT "events"."category" IS NULL)
      )[1] AS "f0" /* first value of category: purchase */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    NOT "event_facts"."f0" IS NULL AND "event_facts"."f0" = ''
)
/* members of trait_first_value_text: first_category is "" */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  NOT "event_facts"."f0" IS NULL AND "event_facts"."f0" = ''
