// Command tierbase runs the tierbase server and its maintenance commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"tierbase/app"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

const usage = `tierbase — 无代码客户管理平台 / no-code customer management

Usage:
  tierbase serve   [--data DIR] [--http ADDR] [--demo] [--backup-every 24h --backup-keep 7]  run the server and web UI
  tierbase demo    [--data DIR] [--customers N] [--seed S]   install the CRM tables with demo data
  tierbase import  --table NAME FILE.csv|FILE.xlsx [--create] [--mode insert|upsert --key FIELD] [--skip-invalid] [--owner EMAIL]
  tierbase export  --table NAME [--filter JSON] [--sort S] OUT.csv|OUT.xlsx
  tierbase rules run [--table NAME]                      regrade and run the rules now, carry out queued side effects
  tierbase backup  [--data DIR] [--to FILE]               back up now (also while a server runs), into <data>/backups
  tierbase restore FILE [--data DIR]                     restore a backup into an empty data directory
  tierbase keys rotate [--data DIR]                      new key for the 敏感 fields; re-encrypts them (stop the server first)
  tierbase migrate --to postgres://… [--data DIR] [--sessions]   copy the SQLite database into an empty PostgreSQL one
  tierbase user create --email E --password P [--name N] [--role admin|member] [--data DIR]
  tierbase version

Every command that opens data takes --db postgres://… (or TIERBASE_DB) for PostgreSQL instead of SQLite in --data.
Run "tierbase COMMAND --help" for the options of a command.
`

func main() {
	if path := os.Getenv("TIERBASE_CPUPROFILE"); path != "" { // for make bench and performance work
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		msg := err.Error()
		if p := problem.As(err); p != nil {
			msg = p.Message(problem.Lang(os.Getenv("LANG")))
		}
		fmt.Fprintln(os.Stderr, "tierbase:", msg)
		pprof.StopCPUProfile()
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(rest, stdout, stderr)
	case "demo":
		return demo(rest, stdout, stderr)
	case "import":
		return importCmd(rest, stdout, stderr)
	case "export":
		return exportCmd(rest, stdout, stderr)
	case "rules":
		return rulesCmd(rest, stdout, stderr)
	case "backup":
		return backupCmd(rest, stdout, stderr)
	case "restore":
		return restoreCmd(rest, stdout, stderr)
	case "keys":
		return keysCmd(rest, stdout, stderr)
	case "migrate":
		return migrateCmd(rest, stdout, stderr)
	case "user":
		if len(rest) == 0 || rest[0] != "create" {
			return errors.New(`usage: tierbase user create --email E --password P [--role admin|member]`)
		}
		return userCreate(rest[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "tierbase", version)
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// flags makes a flag set that prints its usage to stderr and returns errors instead of exiting.
func flags(name, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: tierbase %s [options]\n%s\n\nOptions:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (options start with --; see tierbase %s --help)", fs.Arg(0), fs.Name())
	}
	return nil
}

// dataFlag adds --data and --db to a command that opens data, and returns --data's value.
// Open the data with openApp, which reads --db.
func dataFlag(fs *flag.FlagSet) *string {
	// No default shown for --db: it would print the password of TIERBASE_DB in --help.
	fs.String("db", "", "PostgreSQL database (postgres://user:password@host:5432/name) instead of SQLite in --data; default $"+store.URLEnv)
	return fs.String("data", "./tb_data", "data directory: the SQLite database, and on either database the keys, uploads and backups")
}

// dbURL is the database a command's --db names, else TIERBASE_DB; "" for SQLite in --data.
func dbURL(fs *flag.FlagSet) string {
	if f := fs.Lookup("db"); f != nil && f.Value.String() != "" {
		return f.Value.String()
	}
	return os.Getenv(store.URLEnv)
}

// openApp opens the data directory dir on the database of the command's --db (TIERBASE_DB
// without it; in the test suite, TIERBASE_TEST_PG when neither is set).
func openApp(fs *flag.FlagSet, dir string) (*app.App, error) {
	if url := dbURL(fs); url != "" {
		return app.OpenURL(dir, url)
	}
	return app.Open(dir)
}

func ctx() context.Context { return context.Background() }

func required(name, value string) error {
	if strings.TrimSpace(value) == "" {
		return fmt.Errorf("--%s is required", name)
	}
	return nil
}
