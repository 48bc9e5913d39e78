"""The Telegram side of Polku: the PTB Application, its handlers and the Telegram stand-in."""
