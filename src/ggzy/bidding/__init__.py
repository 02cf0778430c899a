"""Sealed electronic bids and remote opening (不见面开标)."""
