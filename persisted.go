package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"customergraph/graph"
	"customergraph/internal/cache"
	"customergraph/internal/persisted"
)

// persistedConfig is the configuration of persisted queries
// (docs/persisted-queries.md).
type persistedConfig struct {
	Mode         persisted.Mode
	ManifestPath string              // trusted: the manifest's file
	Manifest     *persisted.Manifest // trusted: loaded and validated
	Limits       persisted.Limits    // apq: the store's bounds
}

// LogValue names the mode and what it uses.
func (c persistedConfig) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("mode", string(c.Mode))}
	switch c.Mode {
	case persisted.APQ:
		attrs = append(attrs,
			slog.Int("maxEntries", c.Limits.MaxEntries),
			slog.Int("maxBytes", c.Limits.MaxBytes),
			slog.Duration("ttl", c.Limits.TTL))
	case persisted.Trusted:
		if c.Manifest != nil {
			attrs = append(attrs, slog.Int("operations", c.Manifest.Len()))
		}
	}
	return slog.GroupValue(attrs...)
}

// persistedQueries reads PERSISTED_QUERIES and its settings, and loads and
// validates the manifest of trusted mode against the schema.
func (p *parser) persistedQueries(c *config) {
	c.Persisted = persistedConfig{
		Mode: persisted.APQ,
		Limits: persisted.Limits{
			MaxEntries: persisted.DefaultMaxEntries,
			MaxBytes:   persisted.DefaultMaxBytes,
			TTL:        persisted.DefaultTTL,
		},
	}
	pc := &c.Persisted
	if v := strings.TrimSpace(p.getenv("PERSISTED_QUERIES")); v != "" {
		mode, ok := persisted.ParseMode(v)
		if !ok {
			p.fail("PERSISTED_QUERIES", v, "apq, trusted or off")
		}
		pc.Mode = mode
	}
	p.int("PERSISTED_QUERIES_MAX_ENTRIES", &pc.Limits.MaxEntries, 1, 10_000_000)
	p.int("PERSISTED_QUERIES_MAX_BYTES", &pc.Limits.MaxBytes, 64, 64<<20)
	p.duration("PERSISTED_QUERIES_TTL", &pc.Limits.TTL, time.Second, 365*24*time.Hour)
	pc.ManifestPath = strings.TrimSpace(p.getenv("PERSISTED_QUERIES_MANIFEST"))
	switch {
	case pc.Mode == "": // already reported
	case pc.Mode == persisted.Trusted && pc.ManifestPath == "":
		p.errs = append(p.errs, "PERSISTED_QUERIES=trusted needs PERSISTED_QUERIES_MANIFEST, the path of the manifest of trusted operations")
	case pc.Mode != persisted.Trusted && pc.ManifestPath != "":
		p.errs = append(p.errs, fmt.Sprintf("PERSISTED_QUERIES_MANIFEST is read with PERSISTED_QUERIES=trusted only, not %s", pc.Mode))
	case pc.Mode == persisted.Trusted:
		m, err := persisted.LoadManifest(pc.ManifestPath, graph.NewExecutableSchema(graph.Config{}).Schema())
		if err != nil {
			p.errs = append(p.errs, "PERSISTED_QUERIES_MANIFEST: "+err.Error())
			return
		}
		pc.Manifest = m
	}
}

// newPersistedQueries returns the persisted query extension of cfg and the
// wrapper its handler needs, and registers its counters. In APQ mode the
// documents are stored in Redis when redis is not nil, under a namespace of
// CACHE_NAMESPACE alone, so that every instance sharing the Redis and
// CACHE_NAMESPACE finds every hash; else in this instance's memory.
func newPersistedQueries(cfg config, redis *cache.Redis, reg prometheus.Registerer, log *slog.Logger) (*persisted.Extension, func(http.Handler) http.Handler, error) {
	pc := cfg.Persisted
	opts := persisted.Options{Mode: pc.Mode, Limits: pc.Limits, Manifest: pc.Manifest, TokenLimit: cfg.TokenLimit}
	switch {
	case pc.Mode != persisted.APQ:
	case redis != nil:
		ks := cache.NewKeyspace(cache.Namespace("persisted-queries", cfg.CacheNamespace))
		opts.Store = persisted.NewRedis(redis, ks, pc.Limits)
		log.Info("automatic persisted queries are stored in redis, for every instance")
	default:
		log.Info("automatic persisted queries are stored in memory, for this instance only")
	}
	if pc.Mode == persisted.Trusted && pc.Manifest != nil {
		log.Info("PERSISTED_QUERIES=trusted: serving only the manifest's operations", "operations", pc.Manifest.Len())
	}
	ext, err := persisted.New(opts)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range persisted.Results {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "customergraph", Name: "persisted_queries_total",
			Help:        "GraphQL requests by what became of their persisted query (hit, miss, registered, too_large, invalid, listed, not_in_list, not_supported).",
			ConstLabels: prometheus.Labels{"result": string(r)},
		}, func() float64 { return float64(ext.Count(r)) }))
	}
	return ext, persisted.WithRequest, nil
}
