-- tests/test_dialects.py::test_case_sql[is_true-spark]
-- semantic case 'is_true'; dialect spark, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_is_true: opted_out is true */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  NOT `contacts`.`opted_out` IS NULL AND `contacts`.`opted_out` = TRUE
