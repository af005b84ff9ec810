package simkit

import (
	"maps"
	"strings"
)

// ParseKeys reads a list of API keys: "name" may read and write, while
// "name:read" may only read. Blank entries are skipped; a list with no key
// means [DefaultAPIKey].
func ParseKeys(list []string) map[string]bool {
	keys := make(map[string]bool)
	for _, k := range list {
		k = strings.TrimSpace(k)
		write := true
		if name, ok := strings.CutSuffix(k, ":read"); ok {
			k, write = strings.TrimSpace(name), false
		}
		if k != "" {
			keys[k] = write
		}
	}
	if len(keys) == 0 {
		keys[DefaultAPIKey] = true
	}
	return keys
}

// SetAPIKeys replaces the accepted Bearer keys, as Config.APIKeys: a key
// left out is revoked at once, and answers 401 from the next request on.
func (k *Kit) SetAPIKeys(keys ...string) {
	m := ParseKeys(keys)
	k.keys.Store(&m)
}

// Keys returns the accepted keys, each with whether it may write.
func (k *Kit) Keys() map[string]bool { return maps.Clone(*k.keys.Load()) }
