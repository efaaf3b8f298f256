"""What each view says about its numbers, in words: pure functions of measured values, in the reader's language."""
