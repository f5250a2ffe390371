package jwtauth

import (
	"errors"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/authrt"
)

// validate runs golang-jwt's claim validation and maps its errors to ours.
func (v *Verifier) validate(claims map[string]any) error {
	validator := v.validator
	if v.byIssuer != nil {
		iss, ok := claims["iss"].(string)
		if !ok {
			return reject(ErrInvalidIssuer, "iss missing or not a string")
		}
		if validator, ok = v.byIssuer[iss]; !ok {
			return reject(ErrInvalidIssuer, "iss %s", quote(iss))
		}
	}
	err := validator.Validate(jwt.MapClaims(claims))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrInvalidType):
		return reject(ErrInvalidClaims, "%v", err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return reject(ErrTokenExpired, "%v", err)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return reject(ErrTokenNotValidYet, "%v", err)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return reject(ErrInvalidIssuer, "%v", err)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return reject(ErrInvalidAudience, "%v", err)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		if _, ok := claims["exp"]; !ok && v.cfg.requireExp {
			return reject(ErrMissingClaim, "%v", err)
		}
		if len(v.cfg.audiences) > 0 {
			return reject(ErrInvalidAudience, "%v", err)
		}
		return reject(ErrMissingClaim, "%v", err)
	}
	return reject(ErrInvalidClaims, "%v", err)
}

// identity builds the result from validated claims.
func (v *Verifier) identity(claims map[string]any, raw []byte) (*authrt.Identity, error) {
	id := &authrt.Identity{Claims: claims, RawClaims: raw}
	var err error
	if id.Subject, err = stringClaim(claims, v.cfg.subjectClaim); err != nil {
		return nil, err
	}
	if id.KeyID, err = stringClaim(claims, "jti"); err != nil {
		return nil, err
	}
	if exp, _ := jwt.MapClaims(claims).GetExpirationTime(); exp != nil {
		id.ExpiresAt = exp.Time
	}
	if v.cfg.scopeClaim != "" {
		id.Scopes, err = scopes(claims, v.cfg.scopeClaim)
	} else if _, ok := claims["scope"]; ok {
		id.Scopes, err = scopes(claims, "scope")
	} else {
		id.Scopes, err = scopes(claims, "scp")
	}
	if err != nil {
		return nil, err
	}
	return id, nil
}

// stringClaim returns the claim name, which must be a string if present.
func stringClaim(claims map[string]any, name string) (string, error) {
	v, ok := claims[name]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", reject(ErrInvalidClaims, "%s is not a string", quote(name))
	}
	return s, nil
}

// scopes reads the claim name as space-separated scopes (RFC 6749 section
// 3.3) or as a list of strings.
func scopes(claims map[string]any, name string) ([]string, error) {
	v, ok := claims[name]
	if !ok {
		return nil, nil
	}
	switch v := v.(type) {
	case string:
		return strings.Fields(v), nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok || s == "" || strings.ContainsAny(s, " \t\r\n") {
				return nil, reject(ErrInvalidClaims, "%s holds a value that is not a scope", quote(name))
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, reject(ErrInvalidClaims, "%s is not a string or a list of strings", quote(name))
}
