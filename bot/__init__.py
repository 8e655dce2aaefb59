"""Smart City Connect: the chat bot of Thailand's smart-city programme."""
