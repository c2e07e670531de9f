"""Sharing one Alpaca connection beyond one machine: the bus (docs/bus.md).

`base.Bus` is the small interface (NATS is its one implementation, `nats_bus.NatsBus`,
imported only when a bus is used); `subjects` names the subjects and control bodies
(sans-I/O); `publisher.BusPublisher` is the owner's side (a Hub sink), `feed.BusFeed` a
subscriber's (a StreamClient reading the owner's stream from the bus).
"""
