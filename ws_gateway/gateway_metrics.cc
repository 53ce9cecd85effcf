#include "ws_gateway/gateway_metrics.h"

namespace nanokit::gateway {

void GatewayMetrics::Register(metrics::Registry& registry, std::function<bool()> hub_connected) const {
  registry.AddGauge("nanokit_gateway_connections", "Open dashboard WebSockets.", &connections);
  registry.AddGauge("nanokit_gateway_subscriptions", "Subscriptions of open WebSockets to projects.", &subscriptions);
  registry.AddCounter("nanokit_gateway_messages_sent_total", "Messages written to dashboards (each of a batch).",
                      &messages_sent);
  registry.AddCounter("nanokit_gateway_bytes_sent_total", "Bytes of messages written to dashboards.", &bytes_sent);
  registry.AddCounter("nanokit_gateway_disconnects_total", "WebSockets closed, by close code.", "code", &disconnects);
  registry.AddCounter("nanokit_gateway_slow_consumer_closes_total",
                      "WebSockets closed (1013) because they did not take what was sent.", &slow_consumer_closes);
  registry.AddCounter("nanokit_gateway_resyncs_total",
                      "Subscriptions started or restarted, by what they were sent first: snapshot or resumed.", "kind",
                      &resyncs);
  registry.AddGauge("nanokit_gateway_hub_connected", "1 when the gateway reaches the hub, else 0.",
                    [hub_connected = std::move(hub_connected)] { return hub_connected() ? 1.0 : 0.0; });
  registry.AddHistogram("nanokit_gateway_delivery_lag_seconds",
                        "From an event's emitted_at to the completed write carrying it to a dashboard.",
                        &delivery_lag_seconds);
  registry.AddCounter("nanokit_gateway_auth_failures_total", "WebSocket upgrades and auth messages refused, by reason.",
                      "reason", &auth_failures);
  registry.AddCounter("nanokit_gateway_accept_failures_total",
                      "Connections the gateway failed to accept (out of descriptors, most often).", &accept_failures);
}

}  // namespace nanokit::gateway
