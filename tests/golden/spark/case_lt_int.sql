-- tests/test_dialects.py::test_case_sql[lt_int-spark]
-- semantic case 'lt int'; dialect spark, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_lt_int: lead_score is less than 50 */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  NOT `contacts`.`lead_score` IS NULL AND `contacts`.`lead_score` < 50
