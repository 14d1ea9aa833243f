"""`hero tui`: a full-screen front end over the same services as the commands."""
