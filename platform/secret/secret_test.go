package secret

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func ring(t *testing.T) *Ring {
	t.Helper()
	t.Setenv(EnvKey, "")
	r, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if !r.Empty() {
		t.Fatal("a new data directory has keys")
	}
	if err := r.Add(); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSealOpen(t *testing.T) {
	r := ring(t)
	a, b := r.Seal("13800138000", "fld1"), r.Seal("13800138000", "fld1")
	if a == b || strings.Contains(a, "13800138000") || KeyOf(a) != r.Current() {
		t.Fatalf("sealed %q %q", a, b)
	}
	if got, err := r.Open(a, "fld1"); err != nil || got != "13800138000" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := r.Open(a, "fld2"); err == nil {
		t.Error("a value sealed for one field opened for another")
	}
	blob := []byte(a)
	blob[len(blob)-3] ^= 1
	if _, err := r.Open(string(blob), "fld1"); err == nil {
		t.Error("a changed value opened")
	}
	if !bytes.Equal(r.Hash("x", "fld1"), r.Hash("x", "fld1")) || bytes.Equal(r.Hash("x", "fld1"), r.Hash("x", "fld2")) {
		t.Error("hash not keyed by value and field")
	}
}

func TestKeyFile(t *testing.T) {
	t.Setenv(EnvKey, "")
	dir := t.TempDir()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Add(); err != nil {
		t.Fatal(err)
	}
	sealed := r.Seal("v", "f")
	first := r.Current()
	if err := r.Add(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	st, err := os.Stat(filepath.Join(dir, "keys", "keyring.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v", st, err)
	}
	r, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if ids := r.IDs(); len(ids) != 2 || ids[1] != first {
		t.Fatalf("ids %v", ids)
	}
	if got, err := r.Open(sealed, "f"); err != nil || got != "v" {
		t.Fatalf("old key: %q %v", got, err)
	}
	if err := r.DropOld(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Open(sealed, "f"); err == nil || !strings.Contains(err.Error(), first) {
		t.Errorf("dropped key: %v", err)
	}
}

func TestEnvKey(t *testing.T) {
	key := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", KeySize)))
	t.Setenv(EnvKey, key)
	dir := t.TempDir()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := os.Stat(filepath.Join(dir, "keys", "keyring.json")); err == nil {
		t.Error("a key file was written although TIERBASE_KEY is set")
	}
	if err := r.Add(); err == nil || !strings.Contains(err.Error(), EnvKey) {
		t.Errorf("adding to env keys: %v", err)
	}
	for _, bad := range []string{"nope", base64.StdEncoding.EncodeToString([]byte("short"))} {
		t.Setenv(EnvKey, bad)
		if _, err := Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), EnvKey) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// FuzzParse: any text either parses into a key id of 8 hex digits and a blob long enough
// for a nonce and a tag, or is refused; opening it never panics.
func FuzzParse(f *testing.F) {
	f.Add("tb1:0123abcd:" + strings.Repeat("A", 40))
	f.Add("tb1::")
	f.Add("tb1:zzzzzzzz:AAAA")
	f.Add("13800138000")
	f.Setenv(EnvKey, "")
	r, err := Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	if err := r.Add(); err != nil {
		f.Fatal(err)
	}
	f.Add(r.Seal("13800138000", "fld"))
	f.Fuzz(func(t *testing.T, s string) {
		id, blob, err := Parse(s)
		if err == nil && (len(id) != 8 || len(blob) < 28 || !IsSealed(s)) {
			t.Fatalf("accepted %q: %q %d", s, id, len(blob))
		}
		if v, err := r.Open(s, "fld"); err == nil && v != "13800138000" {
			t.Fatalf("opened %q to %q", s, v)
		}
	})
}

// BenchmarkSealAndHash is the cost of storing one phone number of a sensitive field.
func BenchmarkSealAndHash(b *testing.B) {
	b.Setenv(EnvKey, "")
	r, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if err := r.Add(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		r.Seal("13800138000", "fld")
		r.Hash("13800138000", "fld")
	}
}

// BenchmarkOpen is the cost of reading one sealed phone number.
func BenchmarkOpen(b *testing.B) {
	b.Setenv(EnvKey, "")
	r, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if err := r.Add(); err != nil {
		b.Fatal(err)
	}
	s := r.Seal("13800138000", "fld")
	for b.Loop() {
		r.Open(s, "fld")
	}
}
