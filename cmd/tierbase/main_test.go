package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"tierbase/app"

	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// runCLI runs the command line with args and returns its output and error.
func runCLI(args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	err = run(args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version", "-v"} {
		out, _, err := runCLI(arg)
		if err != nil || out != "tierbase "+version+"\n" {
			t.Errorf("%s: %q, %v", arg, out, err)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"help", "--help", "-h"} {
		out, _, err := runCLI(arg)
		if err != nil || !strings.Contains(out, "Usage:") || !strings.Contains(out, "tierbase demo") {
			t.Errorf("%s: %q, %v", arg, out, err)
		}
	}
	// Each command explains its options, and --help is not a failure.
	for cmd, option := range map[string]string{"serve": "-http", "demo": "-customers", "user create": "-email"} {
		args := append(strings.Fields(cmd), "--help")
		_, errOut, err := runCLI(args...)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut, "Usage: tierbase "+cmd) || !strings.Contains(errOut, option) {
			t.Errorf("%s --help: %v\n%s", cmd, err, errOut)
		}
	}
}

func TestBadCommands(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.csv")
	os.WriteFile(small, []byte("客户名称\n甲\n"), 0o644)
	if _, _, err := runCLI("import", "--data", dir, "--table", "客户", "--create", small); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{nil, "no command"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"user"}, "usage: tierbase user create"},
		{[]string{"user", "delete"}, "usage: tierbase user create"},
		{[]string{"demo", "--customers", "-5"}, "--customers must be between"},
		{[]string{"demo", "--nope"}, "flag provided but not defined"},
		{[]string{"demo", "extra"}, `unexpected argument "extra"`},
		{[]string{"user", "create", "--password", "long-enough"}, "--email is required"},
		{[]string{"user", "create", "--email", "a@example.com"}, "--password is required"},
		{[]string{"rules"}, "usage: tierbase rules run"},
		{[]string{"rules", "run", "--data", dir, "--table", "没有"}, "找不到表「没有」"},
		{[]string{"import", "--data", dir, "--table", "客户", "a.csv", "b.csv"}, "give exactly one file"},
		{[]string{"import", "--data", dir, "a.csv"}, "--table is required"},
		{[]string{"import", "--data", dir, "--table", "客户", filepath.Join(dir, "missing.csv")}, "missing.csv"},
		{[]string{"import", "--data", dir, "--table", "客户", "--create", small}, "already exists"},
		{[]string{"export", "--data", dir, "--table", "客户", "out.txt"}, "must end in .csv or .xlsx"},
		{[]string{"export", "--data", dir, "--table", "客户", "--filter", "{bad", "out.csv"}, "筛选条件无效"},
		{[]string{"serve", "--data", dir, "--backup-every", "90s"}, "give whole minutes"},
		{[]string{"serve", "--data", dir, "--backup-every", "24h", "--backup-keep", "0"}, "keep at least 1"},
		{[]string{"serve", "--data", dir, "--job-lease", "100ms"}, "--job-lease 100ms: give at least 1s"},
		{[]string{"serve", "--data", dir, "--public-url", "crm.example.com"}, "--public-url \"crm.example.com\": give the full address"},
		{[]string{"serve", "--data", dir, "--trusted-proxy", "127.0.0.1,nginx"}, "--trusted-proxy \"nginx\": give addresses or networks"},
		{[]string{"serve", "--data", dir, "--allow-outbound", "erp.intranet,10.0.0.0/33"}, "--allow-outbound \"erp.intranet,10.0.0.0/33\": give host names"},
		{[]string{"restore"}, "usage: tierbase restore FILE"},
		{[]string{"restore", "a.db", "b.db"}, `unexpected argument "b.db"`},
	}
	for _, c := range cases {
		_, _, err := runCLI(c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.args, err, c.want)
		}
	}
}

func TestDemoThenUserCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	out, _, err := runCLI("demo", "--data", dir, "--customers", "50", "--seed", "3")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "50 客户") || !strings.Contains(out, "zhangwei@demo.tierbase") || !strings.Contains(out, "user create --data") {
		t.Errorf("demo output:\n%s", out)
	}
	// The demo installed the template; a second run adds more customers to it.
	if out, _, err := runCLI("demo", "--data", dir, "--customers", "5"); err != nil || !strings.Contains(out, "5 客户") {
		t.Errorf("second demo: %v\n%s", err, out)
	}

	// rules run regrades and runs the template's always-kept rule, with a summary.
	out, _, err = runCLI("rules", "run", "--data", dir, "--table", "客户")
	if err != nil || !strings.Contains(out, "客户分级（客户）") || !strings.Contains(out, "规则「高频客户」（客户）: 匹配") || !strings.Contains(out, "records changed") {
		t.Errorf("rules run: %v\n%s", err, out)
	}

	out, _, err = runCLI("user", "create", "--data", dir, "--email", "Boss@Example.com", "--password", "boss-password", "--name", "老板", "--role", "admin")
	if err != nil || !strings.Contains(out, "Created admin user boss@example.com") {
		t.Fatalf("user create: %v\n%s", err, out)
	}
	// Problems are user-facing errors the CLI can print in either language.
	_, _, err = runCLI("user", "create", "--data", dir, "--email", "boss@example.com", "--password", "boss-password")
	if p := problem.As(err); p == nil || p.Code != "email_taken" || !strings.Contains(p.Message("en"), "already registered") {
		t.Errorf("duplicate user: %v", err)
	}
	_, _, err = runCLI("user", "create", "--data", dir, "--email", "x@example.com", "--password", "short")
	if p := problem.As(err); p == nil || p.Code != "password_too_short" {
		t.Errorf("short password: %v", err)
	}
	_, _, err = runCLI("user", "create", "--data", dir, "--email", "x@example.com", "--password", "long-enough", "--role", "boss")
	if p := problem.As(err); p == nil || p.Code != "unknown_role" {
		t.Errorf("bad role: %v", err)
	}

	// The data is really there: open the directory as the server would.
	a, err := app.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if n := len(a.Users.List()); n != 13 {
		t.Errorf("%d users, want 8 sales + 2 客服 + 财务总监 + 财务 + 1 admin", n)
	}
	if _, err := a.Users.Login(ctx(), "boss@example.com", "boss-password", "test"); err != nil {
		t.Errorf("the created admin cannot sign in: %v", err)
	}
	tbl, err := a.Catalog.Table("客户")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := a.DB.R.QueryRow("SELECT COUNT(*) FROM " + store.Quote(tbl.SQLName())).Scan(&n); err != nil || n != 55 {
		t.Errorf("%d customers (%v), want 55", n, err)
	}
}
