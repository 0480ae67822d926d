-- whatsapp_opted_in: platform is 'WhatsApp' and not (opted_out is true): a missing
-- opted_out counts as not opted out.
SELECT contact_id
FROM contacts
WHERE platform = 'WhatsApp'
  AND opted_out IS NOT TRUE
ORDER BY contact_id
