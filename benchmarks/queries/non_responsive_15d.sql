-- Sent two or more emails / WhatsApp messages in the last 15 days, and no open,
-- click, read or reply in the last 15 days.

-- variant: exists
SELECT c.contact_id
FROM contacts AS c
WHERE c.contact_id IN (
        SELECT contact_id FROM events
        WHERE event IN ('email_sent', 'whatsapp_sent')
          AND ts BETWEEN TIMESTAMP '2026-06-15 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
        GROUP BY contact_id
        HAVING count(*) >= 2
    )
  AND NOT EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event IN ('email_open', 'email_click', 'whatsapp_read', 'message_reply')
          AND e.ts BETWEEN TIMESTAMP '2026-06-15 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
    )

-- variant: agg
SELECT contact_id
FROM events
WHERE event IN ('email_sent', 'whatsapp_sent',
                'email_open', 'email_click', 'whatsapp_read', 'message_reply')
  AND ts BETWEEN TIMESTAMP '2026-06-15 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
GROUP BY contact_id
HAVING count(*) FILTER (WHERE event IN ('email_sent', 'whatsapp_sent')) >= 2
   AND count(*) FILTER (
        WHERE event IN ('email_open', 'email_click', 'whatsapp_read', 'message_reply')) = 0

-- variant: setops
SELECT contact_id FROM events
WHERE event IN ('email_sent', 'whatsapp_sent')
  AND ts BETWEEN TIMESTAMP '2026-06-15 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
GROUP BY contact_id
HAVING count(*) >= 2
EXCEPT
SELECT contact_id FROM events
WHERE event IN ('email_open', 'email_click', 'whatsapp_read', 'message_reply')
  AND ts BETWEEN TIMESTAMP '2026-06-15 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
