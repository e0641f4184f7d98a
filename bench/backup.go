package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// backupWhileWriting measures the online backup of the served database (POST /api/backups)
// while c clients keep POSTing records, against `sqlite3 FILE ".backup OUT"` of the same file
// with no writers, and counts the writes that failed meanwhile (the figure wants none).
func backupWhileWriting(dbPath, base, token string, c int) {
	out := filepath.Join(*work, "sqlite3-backup.db")
	start := time.Now()
	run("sqlite3", dbPath, ".backup "+out)
	shell := time.Since(start).Seconds()
	os.Remove(out)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c}}
	post := func(method, u string, body []byte) (int, []byte, error) {
		req, _ := http.NewRequest(method, u, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b, nil
	}
	var writes, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Appendf(nil, `{"code":"B%02d%07d","name":"备份期间客户%d","amount":%d.5}`, w, i, i, 1000+i%5000)
				status, b, err := post("POST", base+"/api/tables/bench_customers/records", body)
				writes.Add(1)
				if err != nil || status >= 300 {
					if failed.Add(1) == 1 {
						fmt.Fprintf(os.Stderr, "  a write failed during the backup: %d %s %v\n", status, b, err)
					}
				}
			}
		}()
	}
	time.Sleep(time.Second) // the writers at full speed first
	before := writes.Load()
	start = time.Now()
	status, b, err := post("POST", base+"/api/backups", nil)
	online := time.Since(start).Seconds()
	during := writes.Load() - before
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	if err != nil || status != 201 {
		must(fmt.Errorf("POST /api/backups: %d %s %v", status, b, err))
	}
	var info struct {
		Name string
		Size int64
	}
	must(json.Unmarshal(b, &info))
	os.Remove(filepath.Join(filepath.Dir(dbPath), "backups", info.Name))
	record(fmt.Sprintf("online backup of the %d-customer database (%d MB) while %d clients write", *customers, info.Size>>20, c),
		fmt.Sprintf("%.2f s = %.2f× `sqlite3 .backup` (%.2f s, idle); %d writes during it, %d of %d failed", online, online/shell, shell, during, failed.Load(), writes.Load()),
		"≤ 2× sqlite3 .backup; 0 failed writes", "")
}
