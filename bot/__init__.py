"""ipbot: a Telegram assistant for IP-pledge financing loan risk-compensation programs."""
