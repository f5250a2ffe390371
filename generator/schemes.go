package generator

import (
	"sort"

	"github.com/authgen/authgen/runtime/authrt"
)

// SchemeInfo describes one security scheme of a spec, for tools that work
// with credentials (authgen token).
type SchemeInfo struct {
	Name string
	// Type is the scheme as the spec states it ("http bearer", "apiKey",
	// "oauth2", "openIdConnect", "http basic"); Supported is false for the
	// ones authgen cannot enforce.
	Type      string
	Supported bool
	// Bearer is true for schemes whose credential is a bearer token
	// (http bearer, oauth2, openIdConnect): the ones a JWT is for.
	Bearer bool
	// BearerFormat is http bearer's bearerFormat hint ("JWT").
	BearerFormat string
	// DiscoveryURL is an openIdConnect scheme's openIdConnectUrl.
	DiscoveryURL string
	// Declared lists the scopes the scheme declares (oauth2 flows).
	Declared []string
	// Used lists the scopes operations require of it, sorted.
	Used []string
	// Path is the scheme's spec path, for messages.
	Path string
}

// Schemes lists the security schemes of a spec, sorted by name. It fails,
// with every problem, when the spec cannot be read.
func Schemes(spec []byte, name string, cfg Config) ([]SchemeInfo, error) {
	m, _, err := buildModel(spec, name, cfg)
	if err != nil {
		return nil, err
	}
	used := map[*scheme]map[string]bool{}
	for _, op := range m.Operations {
		for _, a := range op.Alternatives {
			for _, r := range a.Reqs {
				if used[r.Scheme] == nil {
					used[r.Scheme] = map[string]bool{}
				}
				for _, sc := range r.Scopes {
					used[r.Scheme][sc] = true
				}
			}
		}
	}
	var out []SchemeInfo
	for _, s := range m.Schemes {
		out = append(out, SchemeInfo{
			Name:         s.Name,
			Type:         s.RawType,
			Supported:    s.Supported,
			Bearer:       s.Supported && (s.Type == authrt.HTTPBearer || s.Type == authrt.OAuth2 || s.Type == authrt.OpenIDConnect),
			BearerFormat: s.BearerFormat,
			DiscoveryURL: s.OpenIDConnectURL,
			Declared:     sortedKeys(s.Declared),
			Used:         sortedKeys(used[s]),
			Path:         s.Path,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
