"""The email channel: parsing inbound mail and polling the intake mailbox over IMAP."""
