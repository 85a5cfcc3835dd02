package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// AllowedOrigins returns the effective list of allowed origins: the configured ones,
// normalised (scheme://host[:port], lower case), or, when none are configured, the public
// URL's origin.
func AllowedOrigins(publicURL string, configured []string) []string {
	var out []string
	for _, o := range configured {
		if n := normOrigin(o); n != "" {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		if n := normOrigin(publicURL); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// normOrigin turns "https://Example.dk/" or "https://example.dk/path" into
// "https://example.dk"; "" when it is not an http(s) origin.
func normOrigin(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// AllowedOrigin reports whether a request's Origin may act here: when the request has no
// Origin header (not a browser, or a same-origin GET), when it is the request's own origin
// on an IP address or localhost (same scheme as the connection, same host and port: a
// phone on the LAN reaching a development server), or when it is one of allowed (compared as scheme://host[:port],
// case-insensitively; allowed is used as given, so pass AllowedOrigins(…)'s result or the
// configured list). "null" and malformed origins are refused. Package live uses the same rule
// for socket upgrades.
func AllowedOrigin(r *http.Request, allowed []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	n := normOrigin(origin)
	if n == "" {
		return false
	}
	u, _ := url.Parse(n)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	// The Host header is the client's to choose (DNS rebinding points a name of the
	// attacker's at this server), so only a literal address or localhost counts as proof of
	// the same origin; names must be allowed origins.
	if r.Host != "" && u.Scheme == scheme && strings.EqualFold(u.Host, r.Host) && literalHost(u.Hostname()) {
		return true
	}
	for _, a := range allowed {
		if n == normOrigin(a) {
			return true
		}
	}
	return false
}

// browserSameOrigin is the check for a cookie-authenticated state-changing request: an
// allowed Origin, or, when the browser sent none, a Sec-Fetch-Site of same-origin or none.
// A request that carries neither header is refused: every browser sends one of them.
func (a *api) browserSameOrigin(r *http.Request) bool {
	if r.Header.Get("Origin") != "" {
		return AllowedOrigin(r, a.allowedOrigins)
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	}
	return false
}

// proxies is a parsed list of trusted proxy prefixes.
type proxies []netip.Prefix

func parseProxies(list []string) (ps proxies, bad []string) {
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			ps = append(ps, p.Masked())
			continue
		}
		if ip, err := netip.ParseAddr(s); err == nil {
			ip = ip.Unmap()
			ps = append(ps, netip.PrefixFrom(ip, ip.BitLen()))
			continue
		}
		bad = append(bad, s)
	}
	return ps, bad
}

func (ps proxies) contains(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func (ps proxies) list() []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// ClientAddr returns the client's address: the connection's peer, unless that peer is one
// of the trusted proxies (IPs or CIDRs), in which case X-Forwarded-For is walked from the
// right and the first address that is not a trusted proxy is the client. It is used for
// rate limits only, never logged or stored.
func ClientAddr(r *http.Request, trusted []string) string {
	ps, _ := parseProxies(trusted)
	return ps.clientAddr(r)
}

func (ps proxies) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if len(ps) == 0 || !ps.contains(peer) {
		return peer.String()
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		for _, part := range strings.Split(h, ",") {
			hops = append(hops, strings.TrimSpace(part))
		}
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		ip, err := netip.ParseAddr(hops[i])
		if err != nil {
			break // a malformed hop: trust nothing beyond it
		}
		client = ip.Unmap()
		if !ps.contains(client) {
			break
		}
	}
	return client.String()
}

// literalHost reports whether host is an IP address or localhost.
func literalHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}
