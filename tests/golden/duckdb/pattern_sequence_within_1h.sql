-- tests/test_dialects.py::test_pattern_case_sql[sequence_within_1h-duckdb]
-- pattern case 'sequence within 1h'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of pattern_sequence_within_1h: performed view, then cart within 1 hour */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  "contacts"."contact_id" IN (
    WITH sequence_step_1 AS (
      SELECT
        "events"."contact_id",
        "events"."ts"
      FROM events
      WHERE
        "events"."event" = 'view'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
    )
    /* contacts who: performed view, then cart within 1 hour */
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
    WHERE
      EXISTS(
        SELECT
          1
        FROM sequence_step_1 AS "before"
        WHERE
          "before"."contact_id" = "this"."contact_id"
          AND "before"."ts" < "this"."ts"
          AND "this"."ts" <= "before"."ts" + INTERVAL '3600' SECOND
      )
  )
