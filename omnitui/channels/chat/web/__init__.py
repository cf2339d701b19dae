"""The website chat gateway: HTTP and WebSocket in front of the chat channel (docs/chat-web.md)."""
