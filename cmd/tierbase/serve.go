package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"tierbase/core/access"
	"time"

	"tierbase/api"
	"tierbase/engines/importer"
	"tierbase/platform/outbound"
	"tierbase/platform/problem"
	"tierbase/platform/store"
	"tierbase/templates/crm"
)

func serve(args []string, stdout, stderr io.Writer) error {
	fs := flags("serve", "Run the tierbase server and web UI.", stderr)
	data := dataFlag(fs)
	addr := fs.String("http", "127.0.0.1:8090", "address to listen on")
	withDemo := fs.Bool("demo", false, "when the 客户管理 app is missing, install it with 2000 demo customers first")
	dailyText := fs.String("daily-at", "01:00", "local time of the daily pass that re-grades and re-tags as days go by (HH:MM)")
	backupEvery := fs.Duration("backup-every", 0, "back the database up into <data>/backups at this interval, e.g. 24h (0: no scheduled backups)")
	backupKeep := fs.Int("backup-keep", 7, "how many scheduled backups to keep (the oldest beyond are deleted)")
	lease := fs.Duration("job-lease", 5*time.Minute, "how long a node holds a background job it took; a job of a node that died is taken over by another node after this")
	proxiesText := fs.String("trusted-proxy", "", "addresses or networks of the proxies in front (nginx), comma-separated, e.g. 127.0.0.1,10.0.0.0/8: their X-Forwarded-For gives the client's address and X-Forwarded-Proto https marks cookies Secure")
	publicURL := fs.String("public-url", os.Getenv("TIERBASE_PUBLIC_URL"), "the address people open tierbase at, e.g. https://crm.example.com: group robots' messages link back to the record under it (also TIERBASE_PUBLIC_URL)")
	allowOutbound := fs.String("allow-outbound", os.Getenv("TIERBASE_ALLOW_OUTBOUND"), "hosts, addresses or networks inside your own network that webhooks and group robots may call, comma-separated, e.g. erp.intranet,10.0.0.0/8 (loopback, private and link-local addresses are refused otherwise; also TIERBASE_ALLOW_OUTBOUND)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if u, err := url.Parse(*publicURL); *publicURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return fmt.Errorf("--public-url %q: give the full address people open, such as https://crm.example.com", *publicURL)
	}
	proxies, err := parseProxies(*proxiesText)
	if err != nil {
		return err
	}
	allow := strings.Split(*allowOutbound, ",")
	if _, err := outbound.NewGuard(allow); err != nil {
		return fmt.Errorf("--allow-outbound %q: give host names, addresses or networks such as erp.intranet,10.0.0.0/8", *allowOutbound)
	}
	if *backupEvery < 0 || *backupEvery > 0 && *backupEvery%time.Minute != 0 || *backupKeep < 1 {
		return fmt.Errorf("--backup-every %v --backup-keep %d: give whole minutes such as 24h or 6h, and keep at least 1", *backupEvery, *backupKeep)
	}
	if *lease < time.Second {
		return fmt.Errorf("--job-lease %v: give at least 1s, e.g. 5m", *lease)
	}
	dailyAt, err := time.Parse("15:04", *dailyText)
	if err != nil {
		return fmt.Errorf("--daily-at %q: write the time as HH:MM, e.g. 01:00", *dailyText)
	}
	keepHeapFloor(serverHeapFloor)
	a, err := openApp(fs, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.DB.Dialect != store.Postgres {
		procsForCgo()
	}
	if *backupEvery > 0 && a.DB.Dialect == store.Postgres {
		return problem.New(409, "backup_postgres")
	}
	if _, err := a.Catalog.App(crm.AppName); err != nil && *withDemo {
		sum, _, err := a.InstallDemo(ctx(), crm.DemoOptions{Customers: 2000, Seed: 1})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Installed 客户管理 with %d demo customers; sales users %v share the password %s.\n",
			sum.Customers, sum.Users, crm.DemoPassword)
	}
	if email, pw := os.Getenv("TIERBASE_ADMIN_EMAIL"), os.Getenv("TIERBASE_ADMIN_PASSWORD"); email != "" && !a.Users.HasAdmin() {
		if _, err := a.Users.Create(ctx(), access.System, email, pw, "管理员", "admin"); err != nil {
			return fmt.Errorf("create the first admin from TIERBASE_ADMIN_EMAIL: %w", err)
		}
		fmt.Fprintf(stdout, "Created the admin %s.\n", email)
	}
	uploads := filepath.Join(*data, "uploads")
	os.RemoveAll(uploads) // uploads wait only for an import of this server's lifetime
	imports := &importer.Jobs{Dir: uploads, Importer: a.Importer}
	srv := &api.Server{Catalog: a.Catalog, Records: a.Records, Users: a.Users, Imports: imports, Grading: a.Grading, Rules: a.Rules, Inbox: a.Inbox, Flows: a.Flows, Audit: a.Audit, Version: version,
		InstallCRM: a.InstallCRM}
	srv.Reports = a.Reports
	srv.Backups = a.Backups()
	srv.Org = a.Org
	srv.Workbench = a.Workbench
	srv.Channels = a.Channels
	srv.Tokens, srv.Webhooks, srv.Events, srv.Comments = a.Tokens, a.Webhooks, a.Events, a.Comments
	srv.Forms, srv.PublicURL = a.Forms, *publicURL
	srv.Views = a.Views
	// TIERBASE_TEST_CAPTCHA is for the browser tests only, which cannot read an image: every
	// public form's captcha then has this answer. Never set it on a real server.
	if fixed := os.Getenv("TIERBASE_TEST_CAPTCHA"); fixed != "" {
		if strings.Trim(fixed, "0123456789") != "" {
			return fmt.Errorf("TIERBASE_TEST_CAPTCHA %q: digits only", fixed)
		}
		fmt.Fprintf(stdout, "WARNING: TIERBASE_TEST_CAPTCHA is set: every form captcha's answer is %s. It is for tests only.\n", fixed)
		a.Forms.Digits = func() string { return fixed }
	}
	srv.TrustedProxies = proxies
	a.CheckAlertsEvery(10 * time.Minute) // indicator alerts, over all records
	a.PurgeTrashDaily()
	if *backupEvery > 0 {
		a.BackupEvery(*backupEvery, *backupKeep)
	}
	a.Jobs.Lease = *lease
	a.Channels.PublicURL, a.Webhooks.PublicURL = *publicURL, *publicURL
	if err := a.AllowOutbound(allow); err != nil {
		return err
	}
	a.Rules.DailyAt = time.Duration(dailyAt.Hour())*time.Hour + time.Duration(dailyAt.Minute())*time.Minute
	// One worker pool for every background effect: rule side effects (also those left by the
	// last run or queued by the CLI), cron rules, the daily pass, dashboard alerts.
	work, stopWork := context.WithCancel(context.Background())
	worked := make(chan struct{})
	go func() { a.Jobs.Run(work); close(worked) }()
	defer func() { stopWork(); <-worked }()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another tierbase running? choose another with --http)", *addr, err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(stderr, "", log.LstdFlags)}
	hs.RegisterOnShutdown(srv.CloseStreams) // open notification streams would hold Shutdown for its whole timeout
	fmt.Fprintf(stdout, "tierbase %s: data in %s\nOpen http://%s/\n", version, a.DB.Where(), ln.Addr())
	if !a.Users.HasAdmin() {
		fmt.Fprintln(stdout, "No admin yet: open the page above to create the first admin, or restart with TIERBASE_ADMIN_EMAIL and TIERBASE_ADMIN_PASSWORD set.")
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	select {
	case err := <-done:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case <-stop:
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hs.Shutdown(c)
	}
	return nil
}

// parseProxies reads --trusted-proxy: addresses (one host each) or networks, comma-separated.
func parseProxies(text string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(text, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if a, err := netip.ParseAddr(part); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxy %q: give addresses or networks such as 127.0.0.1 or 10.0.0.0/8, separated by commas", part)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
