-- tests/test_dialects.py::test_trait_case_sql[first_value_negative_op_includes_missing-postgres]
-- trait case 'first_value negative op includes missing'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
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
)
/* members of trait_first_value_negative_op_includes_missing: first_category is not "bags" (including no first_category) */
SELECT
  "contacts"."contact_id"
FROM contacts
LEFT JOIN event_facts
  ON "event_facts"."contact_id" = "contacts"."contact_id"
WHERE
  "event_facts"."f0" IS NULL OR NOT (
    "event_facts"."f0" = 'bags'
  )
