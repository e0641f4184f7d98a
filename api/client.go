package api

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr is the address of the person behind r, for the sign-in throttle and the
// operation log: the connection's, or, when the connection comes from one of the trusted
// proxies (nginx in front of several nodes), the nearest address in X-Forwarded-For that is
// not a trusted proxy. From anyone else the header is ignored, so it cannot be forged.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !s.trusted(host) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if _, err := netip.ParseAddr(hop); err != nil {
			break // a garbled hop: the last good address stands
		}
		host = hop
		if !s.trusted(hop) {
			break
		}
	}
	return host
}

// viaHTTPS reports whether r reached the person over HTTPS: directly, or through a trusted
// proxy that says so in X-Forwarded-Proto. Cookies are then marked Secure.
func (s *Server) viaHTTPS(r *http.Request) bool {
	if s.SecureCookies || r.TLS != nil {
		return true
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	return s.trusted(host) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (s *Server) trusted(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
