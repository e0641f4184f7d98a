package main

import (
	"fmt"
	"io"
	"time"
)

// keysCmd runs `tierbase keys rotate`: a fresh key seals every 敏感 value again, then the old
// keys are dropped. It refuses to run beside a server (or any other tierbase process on the
// data directory), which would go on sealing with the old key; interrupted, it carries on
// where it stopped when run again.
func keysCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		return fmt.Errorf("usage: tierbase keys rotate [--data DIR]")
	}
	fs := flags("keys rotate", "Make a new current key for the sensitive (敏感) fields, encrypt every sensitive value with it, then drop the old keys. Stop the server first; run it again if it is interrupted.", stderr)
	data := dataFlag(fs)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	a, err := openApp(fs, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Keys.Exclusive(); err != nil {
		return err
	}
	start := time.Now()
	var bar *progress
	var field string
	err = a.Catalog.Rotate(ctx(), func(f string, done, total int64) {
		if f != field {
			if bar != nil {
				bar.done()
			}
			bar, field = newProgress(stderr, f), f
		}
		bar.update(int(done), int(total))
	}, a.Channels.Reseal, a.Webhooks.Reseal)
	if bar != nil {
		bar.done()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "keys rotated: every sensitive value is now encrypted with key %s (%.1fs)\n", a.Keys.Current(), time.Since(start).Seconds())
	return nil
}
