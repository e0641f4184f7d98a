// Package outbound is the HTTP client for calls the server makes to addresses its users typed
// (webhook endpoints). It refuses to reach the server's own networks — loopback, link-local,
// private, CGNAT, unspecified, multicast — unless an administrator allow-listed the host or
// range (a private deployment calling its ERP on the intranet). The address is checked after
// name resolution, at dial time, so a name that resolves to 127.0.0.1 (or is rebound to it
// between the save and the call) is refused too.
package outbound

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"tierbase/platform/problem"
)

// refused lists the ranges no call may reach without an allow-list entry, with the reason
// shown to the user (a term of platform/problem).
var refused = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "addr_unspecified"},
	{netip.MustParsePrefix("::/128"), "addr_unspecified"},
	{netip.MustParsePrefix("127.0.0.0/8"), "addr_loopback"},
	{netip.MustParsePrefix("::1/128"), "addr_loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "addr_link_local"},
	{netip.MustParsePrefix("fe80::/10"), "addr_link_local"},
	{netip.MustParsePrefix("10.0.0.0/8"), "addr_private"},
	{netip.MustParsePrefix("172.16.0.0/12"), "addr_private"},
	{netip.MustParsePrefix("192.168.0.0/16"), "addr_private"},
	{netip.MustParsePrefix("fc00::/7"), "addr_private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "addr_private"},  // IETF protocol assignments
	{netip.MustParsePrefix("198.18.0.0/15"), "addr_private"}, // benchmarking networks
	{netip.MustParsePrefix("64:ff9b::/96"), "addr_private"},  // NAT64: may translate to any IPv4 address inside
	{netip.MustParsePrefix("100.64.0.0/10"), "addr_cgnat"},
	{netip.MustParsePrefix("224.0.0.0/4"), "addr_multicast"},
	{netip.MustParsePrefix("ff00::/8"), "addr_multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "addr_multicast"}, // reserved, and the broadcast address
}

// Guard decides which addresses outbound calls may reach.
type Guard struct {
	hosts    map[string]bool // allow-listed host names, lower case
	prefixes []netip.Prefix  // allow-listed addresses and ranges
	resolver *net.Resolver
}

// NewGuard returns a Guard with the administrator's allow-list: each entry is a host name
// ("erp.intranet"), an address ("10.0.0.5") or a range ("10.0.0.0/8").
func NewGuard(allow []string) (*Guard, error) {
	g := &Guard{hosts: map[string]bool{}, resolver: net.DefaultResolver}
	for _, a := range allow {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if p, err := netip.ParsePrefix(a); err == nil {
			g.prefixes = append(g.prefixes, p.Masked())
		} else if ip, err := netip.ParseAddr(a); err == nil {
			g.prefixes = append(g.prefixes, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
		} else if strings.ContainsAny(a, "/: ") {
			return nil, problem.Invalid("bad_param", "param", "allow", "reason", a)
		} else {
			g.hosts[strings.ToLower(a)] = true
		}
	}
	return g, nil
}

// reason says why ip may not be reached, or "" if it may.
func (g *Guard) reason(ip netip.Addr) string {
	ip = ip.Unmap()
	for _, p := range g.prefixes {
		if p.Contains(ip) {
			return ""
		}
	}
	for _, r := range refused {
		if r.prefix.Contains(ip) {
			return r.reason
		}
	}
	return ""
}

// refusal is the user-facing error for a URL the guard will not call.
func refusal(raw, reason string) *problem.Error {
	return problem.Invalid("url_refused", "value", raw, "reason", reason)
}

// CheckURL tells whether raw may be called now: http or https, a host, and every address
// the host resolves to allowed. Saving an endpoint calls it so the user learns why at once;
// the dial check still runs on every call.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return refusal(raw, "addr_scheme")
	}
	host := strings.ToLower(u.Hostname())
	if g.hosts[host] {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if r := g.reason(ip); r != "" {
			return refusal(raw, r)
		}
		return nil
	}
	ips, err := g.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return refusal(raw, "addr_unresolved")
	}
	for _, ip := range ips {
		if r := g.reason(ip); r != "" {
			return refusal(raw, r)
		}
	}
	return nil
}

// errRefused is returned by the dialer; the caller records it as the delivery's failure.
var errRefused = errors.New("outbound: address refused by the SSRF guard")

// IsRefused tells whether err came from the guard refusing an address at dial time.
func IsRefused(err error) bool { return errors.Is(err, errRefused) }

// DialContext opens a connection as the guard allows: an allow-listed host by name, any
// other address only if it is outside the server's networks (checked after resolution).
// Email channels dial their SMTP servers with it.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err == nil && g.hosts[strings.ToLower(host)] {
		return (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, network, addr)
	}
	checked := &net.Dialer{Timeout: 10 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || g.reason(ap.Addr()) != "" {
			return errRefused
		}
		return nil
	}}
	return checked.DialContext(ctx, network, addr)
}

// Client returns an http.Client whose every connection goes through the guard. It uses no
// proxy from the environment (that would move the check onto the proxy's address) and follows
// no redirects (a receiver answers for itself; a redirect is reported as its 3xx).
func (g *Guard) Client(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         g.DialContext,
			TLSHandshakeTimeout: 10 * time.Second,
			// Deliveries to one receiver run side by side (a job batch's calls): keep as
			// many connections open, or most calls dial (and shake hands) anew.
			MaxIdleConnsPerHost: 100,
			IdleConnTimeout:     90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
