-- tests/test_dialects.py::test_pattern_case_sql[sequence_in_order-postgres]
-- pattern case 'sequence in order'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of pattern_sequence_in_order: performed view, then cart */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  "contacts"."contact_id" IN (
    WITH sequence_step_1 AS (
      SELECT
        "events"."contact_id",
        MIN("events"."ts") AS "ts"
      FROM events
      WHERE
        "events"."event" = 'view'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
      GROUP BY
        "events"."contact_id"
    )
    /* contacts who: performed view, then cart */
    SELECT
      "this"."contact_id"
    FROM (
      SELECT
        "events"."contact_id",
        "events"."ts"
      FROM events
      WHERE
        "events"."event" = 'cart'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
    ) AS "this"
    JOIN sequence_step_1 AS "before"
      ON "before"."contact_id" = "this"."contact_id" AND "before"."ts" < "this"."ts"
  )
