package channels

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"tierbase/platform/jobs"
	"tierbase/platform/problem"
)

// smtpAccount is an email channel's address, read.
type smtpAccount struct {
	host, port string
	implicit   bool   // smtps: TLS from the first byte (port 465); smtp: STARTTLS, required
	from       string // the sender address
	user       string // the login, the sender address when not given
}

// parseSMTP reads an email channel's address: smtp://host:587?from=…&user=… or smtps://….
func parseSMTP(raw string) (*smtpAccount, error) {
	bad := problem.Invalid("robot_url", "example", examples[Email]).At("url")
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" || u.User != nil {
		return nil, bad
	}
	a := &smtpAccount{host: u.Hostname(), port: u.Port(), implicit: u.Scheme == "smtps", user: u.Query().Get("user")}
	if a.port == "" {
		a.port = map[bool]string{false: "587", true: "465"}[a.implicit]
	}
	from, err := mail.ParseAddress(u.Query().Get("from"))
	if err != nil || strings.ContainsAny(from.Address, "\r\n") {
		return nil, bad
	}
	a.from = from.Address
	if a.user == "" {
		a.user = a.from
	}
	return a, nil
}

// mail sends m to its recipients through the account at addr, logging in with password
// (none: no login). It answers the server's last reply code; a 4xx reply or a lost
// connection is tried again later, a 5xx reply (unknown recipient, refused login) is not.
func (s *Service) mail(ctx context.Context, addr, password string, m Message, now time.Time) (int, error) {
	a, err := parseSMTP(addr)
	if err != nil {
		return 0, jobs.Permanent(err)
	}
	if len(m.To) == 0 {
		return 0, jobs.Permanent(errors.New("the message names no recipient"))
	}
	for _, to := range m.To {
		if _, err := mail.ParseAddress(to); err != nil || strings.ContainsAny(to, "\r\n") {
			return 0, jobs.Permanent(fmt.Errorf("%q is not an email address", to))
		}
	}
	conn, err := s.Dial(ctx, "tcp", net.JoinHostPort(a.host, a.port))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	cfg := &tls.Config{ServerName: a.host, MinVersion: tls.VersionTLS12}
	if s.TLS != nil {
		cfg = s.TLS.Clone()
		cfg.ServerName = a.host
	}
	if a.implicit {
		conn = tls.Client(conn, cfg)
	}
	c, err := smtp.NewClient(conn, a.host)
	if err != nil {
		return smtpFail(err)
	}
	defer c.Close()
	if !a.implicit {
		if ok, _ := c.Extension("STARTTLS"); !ok { // never send a password in clear
			return 0, jobs.Permanent(errors.New("the mail server does not offer STARTTLS: use smtps:// (port 465) or another server"))
		}
		if err := c.StartTLS(cfg); err != nil {
			return smtpFail(err)
		}
	}
	if password != "" {
		if err := c.Auth(smtp.PlainAuth("", a.user, password, a.host)); err != nil {
			return smtpFail(err)
		}
	}
	if err := c.Mail(a.from); err != nil {
		return smtpFail(err)
	}
	for _, to := range m.To {
		if err := c.Rcpt(to); err != nil {
			return smtpFail(err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpFail(err)
	}
	if _, err := w.Write(compose(a.from, m, now)); err != nil {
		return smtpFail(err)
	}
	if err := w.Close(); err != nil {
		return smtpFail(err)
	}
	c.Quit()
	return 250, nil
}

// smtpFail reads an SMTP error: its reply code, and whether trying again may help.
func smtpFail(err error) (int, error) {
	var te *textproto.Error
	if errors.As(err, &te) {
		if te.Code >= 500 {
			return te.Code, jobs.Permanent(err)
		}
		return te.Code, err
	}
	return 0, err
}

// compose writes m as a UTF-8 text mail: the subject encoded (RFC 2047), the body base64 in
// lines of 76, so no value can add a header.
func compose(from string, m Message, now time.Time) []byte {
	text := m.Text
	if m.Link != "" {
		text += "\n\n" + m.Link
	}
	id := make([]byte, 12)
	rand.Read(id)
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n",
		from, strings.Join(m.To, ", "), mime.BEncoding.Encode("UTF-8", m.Title), now.Format(time.RFC1123Z),
		hex.EncodeToString(id), from[strings.LastIndex(from, "@")+1:])
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	body := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(text, "\n", "\r\n")))
	for len(body) > 76 {
		b.WriteString(body[:76] + "\r\n")
		body = body[76:]
	}
	b.WriteString(body + "\r\n")
	return b.Bytes()
}
