-- Signed up in the last 7 days.

-- variant: plain
SELECT contact_id
FROM contacts
WHERE signup_at BETWEEN TIMESTAMP '2026-06-23 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
