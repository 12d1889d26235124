"""Finding, checking and segmenting a user's audio collection."""
