package live

import (
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	connections  *prometheus.GaugeVec
	rooms        prometheus.Gauge
	messages     *prometheus.CounterVec
	votes        prometheus.Counter // messages{type="vote"}
	broadcasts   *prometheus.CounterVec
	disconnects  *prometheus.CounterVec
	slow         prometheus.Counter
	rateLimited  prometheus.Counter
	backpressure prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		backpressure: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pejl_live_backpressure_wait_seconds",
			Help:    "How long a socket's reader waited for a free work slot (only waits are counted).",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 8)}),
		connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pejl_live_connections",
			Help: "Open WebSocket connections, by role."}, []string{"role"}),
		rooms: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pejl_live_rooms",
			Help: "Sessions with at least one socket on this instance."}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pejl_live_messages_received_total",
			Help: "Client messages received, by type (\"invalid\" for undecodable ones)."}, []string{"type"}),
		broadcasts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pejl_live_broadcasts_total",
			Help: "Messages encoded once and queued to every socket of an audience, by kind."}, []string{"kind"}),
		disconnects: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pejl_live_server_closes_total",
			Help: "Sockets closed by the server, by close code."}, []string{"code"}),
		slow: prometheus.NewCounter(prometheus.CounterOpts{Name: "pejl_live_slow_clients_total",
			Help: "Sockets closed because their send queue was full."}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{Name: "pejl_live_rate_limited_total",
			Help: "Times a socket went over the message rate limit."}),
	}
	m.votes = m.messages.WithLabelValues("vote")
	if reg != nil {
		reg.MustRegister(m.connections, m.rooms, m.messages, m.broadcasts, m.disconnects, m.slow, m.rateLimited, m.backpressure)
	}
	return m
}
