"""What one server shares between its sessions: byte-bounded caches, uploads, server-wide slots, its start-up."""
