package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// KeyPrefix starts every key of this package but the limits'. Its version
// is bumped whenever the key scheme or the stored encoding changes
// incompatibly, so that a new release never reads values written by an old
// one.
const KeyPrefix = "cg:v5"

// limitPrefix starts the keys of the upstream limits. It is not versioned
// with the cache's layout: a release that changes how customers are stored
// keeps every tenant's budget. A change of the limits' own encoding changes
// their names instead (see package budget).
const limitPrefix = "cg:limits"

// namespaceLabel is hashed before the parts by Namespace, so that its hashes
// differ from any other use of SHA-256 over the same inputs.
const namespaceLabel = "customergraph/cache/namespace/v1"

// Keyspace builds the keys of one tenant (namespace):
//
//	cg:v5:{}:<namespace>:c:<id>            a customer document
//	cg:v5:{}:<namespace>:a:<kind>:<value>  an alias (link) to a document key
//	cg:limits:{<namespace>}:<name>         the tenant's upstream limits (budget, pause)
//	cg:v5:{<namespace>}:q:<sha256>         a persisted query's document
//	cg:v5:{<namespace>}:qi                 the persisted queries' index (a sorted set)
//
// On Redis Cluster the slot of a key is the hash of its hash tag, the text
// between its first '{' and the next '}', or of the whole key when there is
// none or it is empty. The empty tag of documents and aliases makes Redis
// hash the whole key, whatever braces an email address or an ID may hold:
// a tenant's customers spread over every slot, and so over every master.
// What must be read or changed atomically shares the namespace's tag and
// so one slot: the buckets of the upstream budget, and the persisted
// queries with their index (see package persisted). A document carries its
// own version, so its conditional write is one key.
//
// The zero Keyspace is not usable; create one with NewKeyspace.
type Keyspace struct {
	spread string // "cg:v5:{}:<namespace>:"
	tagged string // "cg:v5:{<namespace>}:"
	limits string // "cg:limits:{<namespace>}:"
}

// NewKeyspace returns the Keyspace of namespace, usually a value returned by
// Namespace.
//
// NewKeyspace panics if namespace is empty or contains '{' or '}', which
// would break the hash tags.
func NewKeyspace(namespace string) Keyspace {
	if namespace == "" || strings.ContainsAny(namespace, "{}") {
		panic("cache: invalid namespace " + `"` + namespace + `"` + ": must be non-empty, without braces")
	}
	return Keyspace{
		spread: KeyPrefix + ":{}:" + namespace + ":",
		tagged: KeyPrefix + ":{" + namespace + "}:",
		limits: limitPrefix + ":{" + namespace + "}:",
	}
}

// Owns reports whether key is one of k's: a document, an alias, a limit
// or a persisted query of its namespace.
func (k Keyspace) Owns(key string) bool {
	return strings.HasPrefix(key, k.spread) || strings.HasPrefix(key, k.tagged) || strings.HasPrefix(key, k.limits)
}

// Customer returns the key of the document of the customer id.
func (k Keyspace) Customer(id string) string {
	return k.spread + "c:" + id
}

// Alias returns the key of a lookup by kind (such as "email" or "phone") and
// value. kind must not contain ':'. The value is used as is: normalise it
// (case, formatting) before calling Alias.
func (k Keyspace) Alias(kind, value string) string {
	return k.spread + "a:" + kind + ":" + value
}

// Limit returns the key of the upstream limit state name, such as the
// tenant's request budget or a rate-limit pause. The limits of one
// Keyspace share a slot.
func (k Keyspace) Limit(name string) string {
	return k.limits + name
}

// PersistedQuery returns the key of the persisted query document whose
// SHA-256 is hash (64 lowercase hex digits). It shares a slot with
// PersistedQueryIndex.
func (k Keyspace) PersistedQuery(hash string) string {
	return k.tagged + "q:" + hash
}

// PersistedQueryIndex returns the key of the index of the persisted
// queries: a sorted set of their hashes, scored by last use.
func (k Keyspace) PersistedQueryIndex() string {
	return k.tagged + "qi"
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
