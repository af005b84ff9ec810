package main

import (
	"customergraph/internal/customer"
	"customergraph/internal/telemetry"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// config is the whole configuration, read from the environment once at
// start. Every field has a documented default (README, "Configuration").
type config struct {
	Port            int
	UpstreamVendor  customer.Vendor // the one-tenant form's vendor
	KomerzaStoreID  string          // the one-tenant form's Komerza store
	TimeZone        *time.Location  // the one-tenant form's Xtrakit time zone
	vendorSet       bool            // UPSTREAM_VENDOR or KOMERZA_STORE_ID is set
	UpstreamURL     string          // "" runs the in-process simulator
	UpstreamAPIKey  secret
	RedisURL        secret // "" uses the in-memory cache; may hold a password
	RedisCluster    bool   // REDIS_MODE=cluster: REDIS_URL names a Redis Cluster's nodes
	FacadeAPIKeys   []secret
	AdminAPIKeys    []secret       // authorise /admin/; none: the endpoints are off
	Tenants         []tenantConfig // the table, or the one tenant the three above make
	AuthMode        string         // authKeys or authPassthrough
	AuthVerifyTTL   time.Duration  // passthrough: how long an upstream acceptance of a key holds
	PassthroughKeys int            // passthrough: client keys whose tenants are kept at once
	// PassthroughVerifyRate bounds the upstream verifications of keys a
	// second, so made-up keys are not relayed upstream at any rate.
	PassthroughVerifyRate int
	CacheTTL              time.Duration
	CacheNamespace        string // extra namespace salt, for deployments sharing a Redis
	NegativeTTL           time.Duration
	StaleIfError          time.Duration
	RedisTimeout          time.Duration
	RedisCooldown         time.Duration // 0: never skip a failing Redis
	RedisFallback         int           // entries kept in memory of what Redis could not take; 0: none
	RedisFallbackTTL      time.Duration // how long each is kept
	UpstreamTimeout       time.Duration // per attempt
	UpstreamConcurrency   int           // attempts in flight at once, per tenant
	RequestTimeout        time.Duration // per GraphQL request, everything included
	Introspection         bool
	DirectRender          bool // root fields of queries written by package render, not field by field by gqlgen
	ComplexityLimit       int
	MaxInflightCost       int           // admission budget: summed complexity executing at once
	AdmissionWait         time.Duration // how long a request may queue for admission
	TokenLimit            int
	MaxBodyBytes          int // request body, or GET query string, in bytes
	MaxDepth              int // how deeply fields nest
	MaxAliases            int // aliased fields in an operation
	MaxRootFields         int // root fields of an operation
	MaxFields             int // selections in a document, after expanding fragments
	MaxFieldRepeats       int // selections of one response name in one selection set
	QueryCacheSize        int
	QueryCacheBytes       int // the query cache's documents' texts, in all
	SimCustomers          int
	CORSOrigins           []string
	LogLevel              slog.Level
	LogFormat             string // "text" or "json"
	ShutdownTimeout       time.Duration
	Persisted             persistedConfig // PERSISTED_QUERIES and its settings

	// The upstream's protection, per upstream key: the circuit breaker
	// (0 failures: none) and the request budget (0: none).
	BreakerFailures           int
	BreakerCoolDown           time.Duration
	UpstreamBudget            int
	UpstreamBudgetWindow      time.Duration
	UpstreamBudgetClientShare float64

	Tracing telemetry.Config // the OTEL_* variables; off unless an endpoint is set
}

// secret is a configuration value that must never be logged.
type secret string

// LogValue masks the secret in structured logs.
func (s secret) LogValue() slog.Value {
	if s == "" {
		return slog.StringValue("")
	}
	return slog.StringValue("[set]")
}

// String masks the secret when formatted.
func (s secret) String() string { return s.LogValue().String() }

// LogValue lists the configuration with every secret masked and the
// upstream's address reduced to whether one is set.
func (c config) LogValue() slog.Value {
	upstream := "in-process simulator"
	if c.UpstreamURL != "" {
		upstream = "configured"
	}
	vendors := make([]string, len(c.Tenants))
	for i, t := range c.Tenants {
		vendors[i] = t.Vendor.Name()
	}
	cache := "in-memory"
	switch {
	case c.RedisURL != "" && c.RedisCluster:
		cache = "redis cluster"
	case c.RedisURL != "":
		cache = "redis"
	}
	return slog.GroupValue(
		slog.Int("port", c.Port),
		slog.String("upstream", upstream),
		slog.Any("vendors", vendors),
		slog.Any("upstreamApiKey", c.UpstreamAPIKey),
		slog.String("cache", cache),
		slog.String("authMode", c.AuthMode),
		slog.Any("tenants", tenantNames(c.Tenants)),
		slog.Int("clientKeys", clientKeyCount(c.Tenants)),
		slog.Int("adminKeys", len(c.AdminAPIKeys)),
		slog.Duration("cacheTTL", c.CacheTTL),
		slog.Duration("negativeCacheTTL", c.NegativeTTL),
		slog.Duration("staleIfError", c.StaleIfError),
		slog.Duration("redisTimeout", c.RedisTimeout),
		slog.Duration("redisCooldown", c.RedisCooldown),
		slog.Int("redisFallbackEntries", c.RedisFallback),
		slog.Duration("redisFallbackTTL", c.RedisFallbackTTL),
		slog.Duration("upstreamTimeout", c.UpstreamTimeout),
		slog.Duration("requestTimeout", c.RequestTimeout),
		slog.Int("upstreamConcurrency", c.UpstreamConcurrency),
		slog.Int("breakerFailures", c.BreakerFailures),
		slog.Duration("breakerCoolDown", c.BreakerCoolDown),
		slog.Int("upstreamBudget", c.UpstreamBudget),
		slog.Duration("upstreamBudgetWindow", c.UpstreamBudgetWindow),
		slog.Float64("upstreamBudgetClientShare", c.UpstreamBudgetClientShare),
		slog.Bool("introspection", c.Introspection),
		slog.Bool("directRender", c.DirectRender),
		slog.Int("complexityLimit", c.ComplexityLimit),
		slog.Int("maxInflightCost", c.MaxInflightCost),
		slog.Int("tokenLimit", c.TokenLimit),
		slog.Int("maxBodyBytes", c.MaxBodyBytes),
		slog.Int("maxDepth", c.MaxDepth),
		slog.Int("maxAliases", c.MaxAliases),
		slog.Int("maxRootFields", c.MaxRootFields),
		slog.Int("maxFields", c.MaxFields),
		slog.Int("maxFieldRepeats", c.MaxFieldRepeats),
		slog.Any("persistedQueries", c.Persisted),
		slog.Any("tracing", c.Tracing),
	)
}

// loadConfig reads the configuration through getenv (os.Getenv in main).
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		Port:             8080,
		CacheTTL:         5 * time.Minute,
		NegativeTTL:      30 * time.Second,
		StaleIfError:     time.Hour,
		RedisTimeout:     50 * time.Millisecond,
		RedisCooldown:    time.Second,
		RedisFallback:    10_000,
		RedisFallbackTTL: 10 * time.Second,
		UpstreamTimeout:  3 * time.Second,
		RequestTimeout:   8 * time.Second,

		UpstreamConcurrency: 64,

		BreakerFailures:           5,
		BreakerCoolDown:           30 * time.Second,
		UpstreamBudget:            1000,
		UpstreamBudgetWindow:      time.Hour,
		UpstreamBudgetClientShare: 0.5,

		Introspection:         true,
		DirectRender:          true,
		ComplexityLimit:       20_000,
		MaxInflightCost:       8_000 * runtime.GOMAXPROCS(0),
		AdmissionWait:         10 * time.Second,
		TokenLimit:            5_000,
		MaxBodyBytes:          256 << 10,
		MaxDepth:              10,
		MaxAliases:            150,
		MaxRootFields:         150,
		MaxFields:             2_000,
		MaxFieldRepeats:       20,
		QueryCacheSize:        1_000,
		QueryCacheBytes:       1 << 20,
		SimCustomers:          1_000,
		CORSOrigins:           []string{"*"},
		LogLevel:              slog.LevelInfo,
		LogFormat:             "text",
		AuthMode:              authKeys,
		AuthVerifyTTL:         5 * time.Minute,
		PassthroughKeys:       1_000,
		PassthroughVerifyRate: 20,
		ShutdownTimeout:       10 * time.Second,
	}
	p := parser{getenv: getenv}
	p.int("PORT", &c.Port, 1, 65535)
	c.UpstreamURL = strings.TrimSpace(getenv("UPSTREAM_URL"))
	vendor, store := getenv("UPSTREAM_VENDOR"), getenv("KOMERZA_STORE_ID")
	c.vendorSet = strings.TrimSpace(vendor) != "" || strings.TrimSpace(store) != ""
	var problem string
	c.UpstreamVendor, c.KomerzaStoreID, problem = vendorOf(vendor, store, c.UpstreamURL != "")
	if problem != "" {
		p.errs = append(p.errs, "UPSTREAM_VENDOR and KOMERZA_STORE_ID: "+problem)
	}
	if tz := getenv("XTRAKIT_TIME_ZONE"); tz != "" {
		c.vendorSet = true
		if c.TimeZone, problem = timeZoneOf(c.UpstreamVendor, tz); problem != "" {
			p.errs = append(p.errs, "XTRAKIT_TIME_ZONE: "+problem)
		}
	}
	c.UpstreamAPIKey = secret(strings.TrimSpace(getenv("UPSTREAM_API_KEY")))
	c.RedisURL = secret(strings.TrimSpace(getenv("REDIS_URL")))
	switch v := strings.TrimSpace(getenv("REDIS_MODE")); v {
	case "", "single":
	case "cluster":
		c.RedisCluster = true
		if c.RedisURL == "" {
			p.errs = append(p.errs, "REDIS_MODE: cluster needs REDIS_URL, naming the cluster's nodes")
		}
	default:
		p.fail("REDIS_MODE", v, "single or cluster")
	}
	for _, k := range strings.Split(getenv("FACADE_API_KEYS"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			c.FacadeAPIKeys = append(c.FacadeAPIKeys, secret(k))
		}
	}
	for _, k := range strings.Split(getenv("ADMIN_API_KEYS"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			c.AdminAPIKeys = append(c.AdminAPIKeys, secret(k))
		}
	}
	p.duration("CACHE_TTL", &c.CacheTTL, time.Second, 24*time.Hour)
	c.CacheNamespace = strings.TrimSpace(getenv("CACHE_NAMESPACE"))
	p.duration("NEGATIVE_CACHE_TTL", &c.NegativeTTL, 0, time.Hour)
	p.duration("STALE_IF_ERROR", &c.StaleIfError, 0, 7*24*time.Hour)
	p.duration("REDIS_TIMEOUT", &c.RedisTimeout, time.Millisecond, 10*time.Second)
	p.duration("REDIS_COOLDOWN", &c.RedisCooldown, 0, time.Hour)
	p.int("REDIS_FALLBACK_ENTRIES", &c.RedisFallback, 0, 10_000_000)
	p.duration("REDIS_FALLBACK_TTL", &c.RedisFallbackTTL, time.Second, time.Hour)
	p.duration("UPSTREAM_TIMEOUT", &c.UpstreamTimeout, 10*time.Millisecond, 5*time.Minute)
	p.duration("REQUEST_TIMEOUT", &c.RequestTimeout, 100*time.Millisecond, 10*time.Minute)
	p.int("UPSTREAM_CONCURRENCY", &c.UpstreamConcurrency, 1, 10_000)
	p.int("BREAKER_FAILURES", &c.BreakerFailures, 0, 1000)
	p.duration("BREAKER_COOLDOWN", &c.BreakerCoolDown, 100*time.Millisecond, time.Hour)
	p.int("UPSTREAM_BUDGET", &c.UpstreamBudget, 0, 100_000_000)
	p.duration("UPSTREAM_BUDGET_WINDOW", &c.UpstreamBudgetWindow, time.Second, 7*24*time.Hour)
	p.float("UPSTREAM_BUDGET_CLIENT_SHARE", &c.UpstreamBudgetClientShare, 0.01, 1)
	p.bool("INTROSPECTION", &c.Introspection)
	p.bool("DIRECT_RENDER", &c.DirectRender)
	p.int("COMPLEXITY_LIMIT", &c.ComplexityLimit, 1, 10_000_000)
	p.int("MAX_INFLIGHT_COST", &c.MaxInflightCost, 1, 1_000_000_000)
	p.duration("ADMISSION_TIMEOUT", &c.AdmissionWait, time.Millisecond, 10*time.Minute)
	p.int("PARSER_TOKEN_LIMIT", &c.TokenLimit, 100, 1_000_000)
	p.int("MAX_BODY_BYTES", &c.MaxBodyBytes, 1<<10, 64<<20)
	p.int("MAX_DEPTH", &c.MaxDepth, 2, 1_000)
	p.int("MAX_ALIASES", &c.MaxAliases, 0, 100_000)
	p.int("MAX_ROOT_FIELDS", &c.MaxRootFields, 1, 100_000)
	p.int("MAX_FIELDS", &c.MaxFields, 1, 1_000_000)
	p.int("MAX_FIELD_REPEATS", &c.MaxFieldRepeats, 1, 100_000)
	p.int("QUERY_CACHE_SIZE", &c.QueryCacheSize, 1, 1_000_000)
	p.int("QUERY_CACHE_BYTES", &c.QueryCacheBytes, 1<<10, 1<<30)
	p.int("SIM_CUSTOMERS", &c.SimCustomers, 1, 1_000_000)
	p.duration("SHUTDOWN_TIMEOUT", &c.ShutdownTimeout, 0, 10*time.Minute)
	if v := strings.TrimSpace(getenv("AUTH_MODE")); v != "" {
		if v != authKeys && v != authPassthrough {
			p.fail("AUTH_MODE", v, "keys or passthrough")
		}
		c.AuthMode = v
	}
	p.duration("AUTH_VERIFY_TTL", &c.AuthVerifyTTL, time.Second, 24*time.Hour)
	p.int("PASSTHROUGH_MAX_KEYS", &c.PassthroughKeys, 1, 1_000_000)
	p.int("PASSTHROUGH_VERIFY_RATE", &c.PassthroughVerifyRate, 1, 100_000)
	if v := strings.TrimSpace(getenv("CORS_ORIGINS")); v != "" {
		c.CORSOrigins = nil
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.CORSOrigins = append(c.CORSOrigins, o)
			}
		}
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			p.fail("LOG_LEVEL", v, "debug, info, warn or error")
		}
	}
	if v := getenv("LOG_FORMAT"); v != "" {
		if v != "text" && v != "json" {
			p.fail("LOG_FORMAT", v, "text or json")
		}
		c.LogFormat = v
	}
	if c.UpstreamURL != "" {
		u, err := url.Parse(c.UpstreamURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.errs = append(p.errs, "UPSTREAM_URL must be an http or https URL")
		}
		if len(c.FacadeAPIKeys) == 0 && c.AuthMode == authKeys {
			p.errs = append(p.errs, "FACADE_API_KEYS must be set when UPSTREAM_URL is: a real upstream is never served without client keys")
		}
	}
	p.persistedQueries(&c)
	p.loadTenants(&c)
	p.errs = append(p.errs, checkAdminKeys(c)...)
	var err error
	if c.Tracing, err = telemetry.FromEnv(getenv); err != nil {
		p.errs = append(p.errs, err.Error())
	}
	if len(p.errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(p.errs, "; "))
	}
	return c, nil
}

// checkAdminKeys returns what is wrong with ADMIN_API_KEYS: an admin key
// must not also be a client key, and passthrough mode, whose tenants are
// its clients' keys, has no tenant to name.
func checkAdminKeys(c config) []string {
	if len(c.AdminAPIKeys) == 0 {
		return nil
	}
	var errs []string
	if c.AuthMode == authPassthrough {
		errs = append(errs, "ADMIN_API_KEYS: AUTH_MODE=passthrough has no tenants to invalidate the caches of: unset ADMIN_API_KEYS")
	}
	clients := map[secret]bool{}
	for _, t := range c.Tenants {
		for _, k := range t.ClientKeys {
			clients[k] = true
		}
	}
	for i, k := range c.AdminAPIKeys {
		if clients[k] {
			errs = append(errs, fmt.Sprintf("ADMIN_API_KEYS: key %d is also a client key: admin keys must be keys of their own", i+1))
		}
	}
	return errs
}

// demo reports whether a tenant is served without client keys, which only
// the in-process simulator's is: anyone who reaches the service may then
// read and change its data, so it listens on loopback only.
func (c config) demo() bool {
	if c.AuthMode != authKeys {
		return false
	}
	for _, t := range c.Tenants {
		if len(t.ClientKeys) == 0 {
			return true
		}
	}
	return false
}

func tenantNames(ts []tenantConfig) []string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	return names
}

func clientKeyCount(ts []tenantConfig) int {
	n := 0
	for _, t := range ts {
		n += len(t.ClientKeys)
	}
	return n
}

// parser reads typed environment variables and collects every error, so a
// misconfigured service says everything that is wrong at once.
type parser struct {
	getenv func(string) string
	errs   []string
}

func (p *parser) fail(name, value, want string) {
	p.errs = append(p.errs, fmt.Sprintf("%s=%q: want %s", name, value, want))
}

func (p *parser) int(name string, dst *int, lo, hi int) {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		p.fail(name, v, fmt.Sprintf("an integer from %d to %d", lo, hi))
		return
	}
	*dst = n
}

func (p *parser) duration(name string, dst *time.Duration, lo, hi time.Duration) {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		p.fail(name, v, fmt.Sprintf("a duration from %s to %s, e.g. 5m", lo, hi))
		return
	}
	*dst = d
}

func (p *parser) float(name string, dst *float64, lo, hi float64) {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f >= lo && f <= hi) {
		p.fail(name, v, fmt.Sprintf("a number from %g to %g", lo, hi))
		return
	}
	*dst = f
}

func (p *parser) bool(name string, dst *bool) {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, v, "true or false")
		return
	}
	*dst = b
}
