"""The email channel: IMAP in, SMTP out, and the parsing and threading of raw mail."""
