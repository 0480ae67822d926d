-- new_signups_7d: contacts whose signup_at lies in [as_of - 7 days, as_of],
-- as_of = 2026-06-30 18:00:00 UTC. A missing signup_at never matches.
SELECT contact_id
FROM contacts
WHERE signup_at >= TIMESTAMP '2026-06-30 18:00:00' - INTERVAL 7 DAY
  AND signup_at <= TIMESTAMP '2026-06-30 18:00:00'
ORDER BY contact_id
