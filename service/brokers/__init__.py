"""The transports inbound delivery runs over; Redis Streams is the one there is."""
