"""What `omnitui demo` runs beside the console so that every channel of the throwaway shop
behaves as in a real one: a local post office for its mail and a local Bot API server for its
Telegram bot, both on 127.0.0.1, both writing what the shop sends into a folder."""
