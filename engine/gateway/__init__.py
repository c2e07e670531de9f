"""The local gateway: Alpaca's market-data stream served on 127.0.0.1 from one upstream.

`hub.Hub` shares the app's one StreamClient (ref-counted subscriptions in
`registry.SubscriptionRegistry`, the union sent upstream); `server.GatewayServer` speaks
Alpaca's stream protocol to local programs (`client.GatewayClient`, its conflating
`outbox.Outbox`, the request rules in `rules`); `credentials` are the gateway's own key
pair; `cli` is `tickerdesk-gateway`. docs/gateway.md.
"""
