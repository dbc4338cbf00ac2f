-- label: unresolved_commit_emails.looked_up_at (an e-mail is looked up on the forge once)
ALTER TABLE aveloxis_data.unresolved_commit_emails ADD COLUMN IF NOT EXISTS looked_up_at TIMESTAMPTZ;
