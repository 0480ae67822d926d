-- tests/test_dialects.py::test_case_sql[between-spark]
-- semantic case 'between'; dialect spark, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_between: total_spent is between 0 and 500.5 */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  NOT `contacts`.`total_spent` IS NULL
  AND `contacts`.`total_spent` BETWEEN 0 AND 500.5
