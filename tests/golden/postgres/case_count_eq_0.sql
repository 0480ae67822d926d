-- tests/test_dialects.py::test_case_sql[count_eq_0-postgres]
-- semantic case 'count eq 0'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_count_eq_0: did not perform purchase */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."contact_id" IN (
    /* contacts who: performed purchase */
    SELECT
      "events"."contact_id"
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
  )
