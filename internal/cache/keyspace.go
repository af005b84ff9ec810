package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// KeyPrefix starts every key of this package. Its version is bumped whenever
// the key scheme or the stored encoding changes incompatibly, so that a new
// release never reads values written by an old one.
const KeyPrefix = "cg:v4"

// namespaceLabel is hashed before the parts by Namespace, so that its hashes
// differ from any other use of SHA-256 over the same inputs.
const namespaceLabel = "customergraph/cache/namespace/v1"

// Keyspace builds the keys of one tenant (namespace):
//
//	cg:v4:{<namespace>}:c:<id>            a customer document
//	cg:v4:{<namespace>}:a:<kind>:<value>  an alias (link) to a document key
//	cg:v4:{<namespace>}:l:<name>          the tenant's upstream limits (budget, pause)
//	cg:v4:{<namespace>}:q:<sha256>        a persisted query's document
//	cg:v4:{<namespace>}:qi                the persisted queries' index (a sorted set)
//
// The braces make the namespace a Redis Cluster hash tag: all the keys of a
// tenant live in one slot, which lets the Lua script behind Redis.Get read
// several keys and follow links in one call. Persisted queries have a
// namespace of their own, not a tenant's (see package persisted).
//
// The zero Keyspace is not usable; create one with NewKeyspace.
type Keyspace struct {
	prefix string // "cg:v4:{<namespace>}:"
}

// NewKeyspace returns the Keyspace of namespace, usually a value returned by
// Namespace.
//
// NewKeyspace panics if namespace is empty or contains '{' or '}', which
// would break the hash tag.
func NewKeyspace(namespace string) Keyspace {
	if namespace == "" || strings.ContainsAny(namespace, "{}") {
		panic("cache: invalid namespace " + `"` + namespace + `"` + ": must be non-empty, without braces")
	}
	return Keyspace{prefix: KeyPrefix + ":{" + namespace + "}:"}
}

// Customer returns the key of the document of the customer id.
func (k Keyspace) Customer(id string) string {
	return k.prefix + "c:" + id
}

// Alias returns the key of a lookup by kind (such as "email" or "phone") and
// value. kind must not contain ':'. The value is used as is: normalise it
// (case, formatting) before calling Alias.
func (k Keyspace) Alias(kind, value string) string {
	return k.prefix + "a:" + kind + ":" + value
}

// Limit returns the key of the upstream limit state name, such as the
// tenant's request budget or a rate-limit pause.
func (k Keyspace) Limit(name string) string {
	return k.prefix + "l:" + name
}

// PersistedQuery returns the key of the persisted query document whose
// SHA-256 is hash (64 lowercase hex digits).
func (k Keyspace) PersistedQuery(hash string) string {
	return k.prefix + "q:" + hash
}

// PersistedQueryIndex returns the key of the index of the persisted
// queries: a sorted set of their hashes, scored by last use.
func (k Keyspace) PersistedQueryIndex() string {
	return k.prefix + "qi"
}

// Namespace derives a tenant namespace from parts, typically the upstream
// base URL and API key: the hex encoding of the first 8 bytes of the SHA-256
// of a fixed label and the parts, each preceded by a NUL byte. The result
// reveals nothing of the parts, so a credential among them never appears in
// a key, and it is safe to pass to NewKeyspace.
func Namespace(parts ...string) string {
	h := sha256.New()
	h.Write([]byte(namespaceLabel))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	sum := h.Sum(nil)
	return hex.EncodeToString(sum[:8])
}
