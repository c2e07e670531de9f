"""The I/O shells: the stream client, the REST client, retry policy and connection health."""
