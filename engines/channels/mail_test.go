package channels_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"tierbase/engines/channels"
	"tierbase/engines/channels/mailtest"
	"tierbase/platform/problem"
)

// TestEmailDelivered: a message reaches each recipient through STARTTLS and through TLS
// from the start, logged in with the sealed password; the Chinese subject and body arrive
// intact with the link back, and a subject cannot add a header.
func TestEmailDelivered(t *testing.T) {
	for _, mode := range []mailtest.Mode{mailtest.StartTLS, mailtest.Implicit} {
		t.Run(fmt.Sprint("mode ", mode), func(t *testing.T) {
			w := open(t)
			srv := mailtest.New(t, mode)
			w.s.TLS = mailtest.TLS()
			ch := w.robot(t, "销售部邮箱", channels.Email, srv.URL()+"&user=crm@example.com", mailtest.Password)
			if ch.Masked != srv.URL()+"&user=crm@example.com" || !ch.HasSecret {
				t.Fatalf("answered %+v", ch)
			}
			w.send(t, ch.ID, channels.Message{Title: "新重点客户：杭州云帆\r\nBcc: spy@evil.example", Text: "客户「杭州云帆」累计消费 ¥150,000.00",
				Link: "https://crm.example.com/t/tbl1?record=7", To: []string{"zhangwei@example.com", "zhoumin@example.com"}})
			w.drain(t)
			got := srv.Sent()
			if len(got) != 1 {
				t.Fatalf("%d mails, want 1", len(got))
			}
			if got[0].From != mailtest.From || strings.Join(got[0].To, ",") != "zhangwei@example.com,zhoumin@example.com" {
				t.Fatalf("envelope %+v", got[0])
			}
			h, subject, text := mailtest.Read(t, got[0])
			if subject != "新重点客户：杭州云帆\r\nBcc: spy@evil.example" || h.Get("Bcc") != "" {
				t.Fatalf("subject %q, Bcc %q", subject, h.Get("Bcc"))
			}
			if !strings.Contains(text, "¥150,000.00") || !strings.Contains(text, "https://crm.example.com/t/tbl1?record=7") {
				t.Fatalf("text %q", text)
			}
			log, _ := w.s.Deliveries(context.Background(), admin, ch.ID, 0, 10)
			if len(log) != 1 || !log[0].OK || log[0].Status != 250 {
				t.Fatalf("log %+v", log)
			}
			d, err := w.s.Test(context.Background(), admin, ch.ID) // the test mail goes to the account itself
			if err != nil || !d.OK || len(srv.Sent()) != 2 || srv.Sent()[1].To[0] != mailtest.From {
				t.Fatalf("test %+v %v", d, err)
			}
		})
	}
}

// TestEmailRefusals: a busy server (4xx) is tried again until it takes the mail; an unknown
// recipient, a wrong password or a server without STARTTLS (the password would travel in
// clear) is given up at once and logged; a bad account address is refused when saved.
func TestEmailRefusals(t *testing.T) {
	w := open(t)
	srv := mailtest.New(t, mailtest.StartTLS)
	w.s.TLS = mailtest.TLS()
	ch := w.robot(t, "通知邮箱", channels.Email, srv.URL(), mailtest.Password)
	srv.Busy(2)
	w.send(t, ch.ID, channels.Message{Title: "提醒", Text: "跟进", To: []string{"a@example.com"}})
	for range 4 {
		w.drain(t)
		w.clock.add(time.Hour)
	}
	if n := len(srv.Sent()); n != 1 {
		t.Fatalf("%d mails after a busy server, want 1", n)
	}
	log, _ := w.s.Deliveries(context.Background(), admin, ch.ID, 0, 10)
	if len(log) != 3 || !log[0].OK || log[1].OK || log[1].Status != 421 {
		t.Fatalf("log %+v", log)
	}

	attempts := func(id string) int { l, _ := w.s.Deliveries(context.Background(), admin, id, 0, 50); return len(l) }
	w.send(t, ch.ID, channels.Message{Title: "提醒", Text: "x", To: []string{"nobody@unknown.example"}})
	wrong := w.robot(t, "密码错误", channels.Email, srv.URL(), "not-the-password")
	w.send(t, wrong.ID, channels.Message{Title: "提醒", Text: "x", To: []string{"a@example.com"}})
	plain := mailtest.New(t, mailtest.Plain)
	clear := w.robot(t, "无加密", channels.Email, plain.URL(), mailtest.Password)
	w.send(t, clear.ID, channels.Message{Title: "提醒", Text: "x", To: []string{"a@example.com"}})
	for range 4 {
		w.drain(t)
		w.clock.add(time.Hour)
	}
	if attempts(ch.ID) != 4 || attempts(wrong.ID) != 1 || attempts(clear.ID) != 1 {
		t.Fatalf("attempts %d %d %d, want 4 1 1 (refusals not retried)", attempts(ch.ID), attempts(wrong.ID), attempts(clear.ID))
	}
	if plain.Logins() != 0 {
		t.Fatal("a password was sent without TLS")
	}

	for _, bad := range []string{"smtp://mail.example.com:587", "smtp://mail.example.com?from=not-an-address", "https://mail.example.com?from=a@b.c", "smtp://u:p@mail.example.com?from=a@b.c"} {
		_, err := w.s.Save(context.Background(), admin, &channels.Robot{Name: "x", Kind: channels.Email, URL: bad, Enabled: true})
		if p := problem.As(err); p == nil || p.Code != "robot_url" {
			t.Fatalf("%s: %v", bad, err)
		}
	}
}
