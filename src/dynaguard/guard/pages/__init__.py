"""Server-rendered pages for the links in the guard's mails (verification, password
reset, unlock, email-change confirmation): what a person's browser sees, beside the JSON
API that applications call."""
