-- tests/test_dialects.py::test_case_sql[count_lt_includes_zero-duckdb]
-- semantic case 'count lt includes zero'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_count_lt_includes_zero: performed purchase fewer than twice (including never) */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."contact_id" IN (
    /* contacts who: not (performed purchase fewer than twice (including never)) */
    SELECT
      "events"."contact_id"
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
    GROUP BY
      "events"."contact_id"
    HAVING
      NOT (
        COUNT(*) < 2
      )
  )
