package main

import (
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
	UpstreamURL     string // "" runs the in-process simulator
	UpstreamAPIKey  secret
	RedisURL        secret // "" uses the in-memory cache; may hold a password
	FacadeAPIKeys   []secret
	CacheTTL        time.Duration
	CacheNamespace  string // extra namespace salt, for deployments sharing a Redis
	NegativeTTL     time.Duration
	StaleIfError    time.Duration
	RedisTimeout    time.Duration
	UpstreamTimeout time.Duration
	Introspection   bool
	ComplexityLimit int
	MaxInflightCost int           // admission budget: summed complexity executing at once
	AdmissionWait   time.Duration // how long a request may queue for admission
	TokenLimit      int
	MaxBodyBytes    int // request body, or GET query string, in bytes
	MaxDepth        int // how deeply fields nest
	MaxAliases      int // aliased fields in an operation
	MaxRootFields   int // root fields of an operation
	MaxFields       int // selections in a document, after expanding fragments
	MaxFieldRepeats int // selections of one response name in one selection set
	QueryCacheSize  int
	SimCustomers    int
	CORSOrigins     []string
	LogLevel        slog.Level
	LogFormat       string // "text" or "json"
	ShutdownTimeout time.Duration
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
	cache := "in-memory"
	if c.RedisURL != "" {
		cache = "redis"
	}
	return slog.GroupValue(
		slog.Int("port", c.Port),
		slog.String("upstream", upstream),
		slog.Any("upstreamApiKey", c.UpstreamAPIKey),
		slog.String("cache", cache),
		slog.Int("facadeApiKeys", len(c.FacadeAPIKeys)),
		slog.Duration("cacheTTL", c.CacheTTL),
		slog.Duration("negativeCacheTTL", c.NegativeTTL),
		slog.Duration("staleIfError", c.StaleIfError),
		slog.Duration("redisTimeout", c.RedisTimeout),
		slog.Duration("upstreamTimeout", c.UpstreamTimeout),
		slog.Bool("introspection", c.Introspection),
		slog.Int("complexityLimit", c.ComplexityLimit),
		slog.Int("maxInflightCost", c.MaxInflightCost),
		slog.Int("tokenLimit", c.TokenLimit),
		slog.Int("maxBodyBytes", c.MaxBodyBytes),
		slog.Int("maxDepth", c.MaxDepth),
		slog.Int("maxAliases", c.MaxAliases),
		slog.Int("maxRootFields", c.MaxRootFields),
		slog.Int("maxFields", c.MaxFields),
		slog.Int("maxFieldRepeats", c.MaxFieldRepeats),
	)
}

// loadConfig reads the configuration through getenv (os.Getenv in main).
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		Port:            8080,
		CacheTTL:        5 * time.Minute,
		NegativeTTL:     30 * time.Second,
		StaleIfError:    time.Hour,
		RedisTimeout:    50 * time.Millisecond,
		UpstreamTimeout: 10 * time.Second,
		Introspection:   true,
		ComplexityLimit: 20_000,
		MaxInflightCost: 8_000 * runtime.GOMAXPROCS(0),
		AdmissionWait:   10 * time.Second,
		TokenLimit:      5_000,
		MaxBodyBytes:    256 << 10,
		MaxDepth:        10,
		MaxAliases:      150,
		MaxRootFields:   150,
		MaxFields:       2_000,
		MaxFieldRepeats: 20,
		QueryCacheSize:  1_000,
		SimCustomers:    1_000,
		CORSOrigins:     []string{"*"},
		LogLevel:        slog.LevelInfo,
		LogFormat:       "text",
		ShutdownTimeout: 10 * time.Second,
	}
	p := parser{getenv: getenv}
	p.int("PORT", &c.Port, 1, 65535)
	c.UpstreamURL = strings.TrimSpace(getenv("UPSTREAM_URL"))
	c.UpstreamAPIKey = secret(strings.TrimSpace(getenv("UPSTREAM_API_KEY")))
	c.RedisURL = secret(strings.TrimSpace(getenv("REDIS_URL")))
	for _, k := range strings.Split(getenv("FACADE_API_KEYS"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			c.FacadeAPIKeys = append(c.FacadeAPIKeys, secret(k))
		}
	}
	p.duration("CACHE_TTL", &c.CacheTTL, time.Second, 24*time.Hour)
	c.CacheNamespace = strings.TrimSpace(getenv("CACHE_NAMESPACE"))
	p.duration("NEGATIVE_CACHE_TTL", &c.NegativeTTL, 0, time.Hour)
	p.duration("STALE_IF_ERROR", &c.StaleIfError, 0, 7*24*time.Hour)
	p.duration("REDIS_TIMEOUT", &c.RedisTimeout, time.Millisecond, 10*time.Second)
	p.duration("UPSTREAM_TIMEOUT", &c.UpstreamTimeout, 10*time.Millisecond, 5*time.Minute)
	p.bool("INTROSPECTION", &c.Introspection)
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
	p.int("SIM_CUSTOMERS", &c.SimCustomers, 1, 1_000_000)
	p.duration("SHUTDOWN_TIMEOUT", &c.ShutdownTimeout, 0, 10*time.Minute)
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
		if len(c.FacadeAPIKeys) == 0 {
			p.errs = append(p.errs, "FACADE_API_KEYS must be set when UPSTREAM_URL is: a real upstream is never served without client keys")
		}
	}
	if len(p.errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(p.errs, "; "))
	}
	return c, nil
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
