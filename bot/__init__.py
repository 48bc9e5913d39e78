"""The Telegram side of Polku: the PTB Application, its handlers and the Telegram stand-in."""

import os

# Opt in now to PTB's coming behaviour: RetryAfter.retry_after is a timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "true")
