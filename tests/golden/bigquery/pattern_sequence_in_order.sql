-- tests/test_dialects.py::test_pattern_case_sql[sequence_in_order-bigquery]
-- pattern case 'sequence in order'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of pattern_sequence_in_order: performed view, then cart */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  `contacts`.`contact_id` IN (
    WITH sequence_step_2 AS (
      SELECT
        `events`.`contact_id`,
        MAX(`events`.`ts`) AS `last_ts`
      FROM events
      WHERE
        `events`.`event` = 'cart'
        AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
      GROUP BY
        `events`.`contact_id`
    )
    /* contacts who: performed view, then cart */
    SELECT
      `events`.`contact_id`
    FROM events
    JOIN sequence_step_2 AS `later`
      ON `later`.`contact_id` = `events`.`contact_id`
    WHERE
      (
        `events`.`event` = 'view'
        AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
      )
      AND `events`.`ts` < `later`.`last_ts`
  )
