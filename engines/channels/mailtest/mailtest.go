// Package mailtest runs a real SMTP server inside a test, as net/http/httptest runs an HTTP
// one: STARTTLS (or TLS from the first byte) with a certificate for 127.0.0.1, AUTH PLAIN
// checked against one account, and every mail it accepted kept whole for the test to read.
package mailtest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

// The account every server takes.
const (
	From     = "crm@example.com"
	Password = "mail-password-1"
)

// Mail is one mail a server accepted.
type Mail struct {
	From string
	To   []string
	Data string // the message as sent: headers, a blank line, the body
}

// Mode is how a server secures its connections.
type Mode int

// The modes.
const (
	StartTLS Mode = iota // STARTTLS offered (port 587)
	Implicit             // TLS from the first byte (smtps, port 465)
	Plain                // no TLS at all: a client must not log in
)

// Server is a running mail server.
type Server struct {
	mode Mode
	ln   net.Listener

	mu     sync.Mutex
	busy   int // the next connections are greeted with 421 (try later)
	mails  []Mail
	logins int
}

// cert is the servers' certificate for 127.0.0.1; Roots trusts it.
var cert, roots = func() (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}()

// TLS is what a client needs to trust the servers' certificate.
func TLS() *tls.Config { return &tls.Config{RootCAs: roots} }

// New starts a server on 127.0.0.1, stopped when the test ends.
func New(t testing.TB, mode Mode) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{mode: mode, ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

// URL is the address of an email channel sending through the server's account.
func (s *Server) URL() string {
	scheme := "smtp"
	if s.mode == Implicit {
		scheme = "smtps"
	}
	return fmt.Sprintf("%s://%s?from=%s", scheme, s.ln.Addr(), From)
}

// Busy makes the next n connections be told to try later (421).
func (s *Server) Busy(n int) { s.mu.Lock(); s.busy = n; s.mu.Unlock() }

// Sent returns the mails accepted so far.
func (s *Server) Sent() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Logins counts the logins tried, right or wrong.
func (s *Server) Logins() int { s.mu.Lock(); defer s.mu.Unlock(); return s.logins }

func (s *Server) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	tlsOn := s.mode == Implicit
	if tlsOn {
		c = tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
	}
	r := bufio.NewReader(c)
	say := func(line string) { io.WriteString(c, line+"\r\n") }
	s.mu.Lock()
	busy := s.busy > 0
	if busy {
		s.busy--
	}
	s.mu.Unlock()
	if busy {
		say("421 too busy, try later")
		return
	}
	say("220 mailtest ESMTP")
	var m Mail
	authed := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		switch cmd := strings.ToUpper(strings.SplitN(line, " ", 2)[0]); {
		case cmd == "EHLO" && !tlsOn && s.mode == StartTLS:
			say("250-mailtest")
			say("250 STARTTLS")
		case cmd == "EHLO":
			say("250-mailtest")
			say("250 AUTH PLAIN")
		case cmd == "STARTTLS":
			say("220 go ahead")
			c = tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
			r, tlsOn = bufio.NewReader(c), true
		case cmd == "AUTH":
			raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(line, "AUTH PLAIN "))
			parts := strings.Split(string(raw), "\x00")
			s.mu.Lock()
			s.logins++
			s.mu.Unlock()
			if !tlsOn || len(parts) != 3 || parts[1] != From || parts[2] != Password {
				say("535 authentication failed")
				continue
			}
			authed = true
			say("235 ok")
		case cmd == "MAIL" && !authed:
			say("530 authentication required")
		case cmd == "MAIL":
			m = Mail{From: strings.Trim(strings.TrimPrefix(line, "MAIL FROM:"), "<>")}
			say("250 ok")
		case cmd == "RCPT":
			to := strings.Trim(strings.TrimPrefix(line, "RCPT TO:"), "<>")
			if strings.HasSuffix(to, "@unknown.example") {
				say("550 no such user")
				continue
			}
			m.To = append(m.To, to)
			say("250 ok")
		case cmd == "DATA":
			say("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			m.Data = b.String()
			s.mu.Lock()
			s.mails = append(s.mails, m)
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

// Read parses a mail as a reader sees it: the headers, the subject decoded, the text.
func Read(t testing.TB, m Mail) (h mail.Header, subject, text string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(msg.Body)
	body, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\r\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	if subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	return msg.Header, subject, string(body)
}
