-- Opted in to WhatsApp and has a phone number (not NULL, not empty).

-- variant: plain
SELECT contact_id
FROM contacts
WHERE whatsapp_opt_in AND phone IS NOT NULL AND phone <> ''
