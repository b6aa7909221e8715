"""Account security: staff two-factor authentication, lockout and rate limits, headers, sessions,
and the deploy checks that refuse unsafe production settings (issue 12)."""
