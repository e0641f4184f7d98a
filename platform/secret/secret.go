// Package secret keeps the keys that encrypt 敏感 (sensitive) field values at rest: a key
// ring of AES-256 keys, one current for new values and the others kept to read older ones,
// read from <data>/keys/keyring.json (created on first need, mode 0600) or from the
// environment variable TIERBASE_KEY. Values are sealed with AES-GCM under a random nonce; the
// sealed text names the key that sealed it. Each key also yields a second key, for the keyed
// hash (HMAC-SHA256) kept beside the ciphertext so that equality search still works.
// Keys are never logged: nothing here formats a key into an error or a string.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// EnvKey is the environment variable that gives the keys instead of the key ring file: one
// or more base64 AES-256 keys separated by commas, the current one first.
const EnvKey = "TIERBASE_KEY"

// KeySize is the size of every key: AES-256.
const KeySize = 32

// prefix starts every sealed value: "tb1:<key id>:<base64 of nonce and ciphertext>".
const prefix = "tb1:"

// Key is one AES-256 key and its id. The id is derived from the key, so a wrong key given
// in TIERBASE_KEY is noticed by its id before anything is decrypted.
type Key struct {
	ID     string
	aead   cipher.AEAD
	hashes sync.Pool // of HMAC-SHA256 states keyed for the equality hash (derived from the key)
}

// Ring is the set of keys of one data directory: the current key seals, every key opens.
type Ring struct {
	dir     string // "" when the keys come from TIERBASE_KEY
	mu      sync.RWMutex
	keys    []*Key // the current key first
	lock    *os.File
	FromEnv bool // the keys came from TIERBASE_KEY (and cannot be rotated here)
}

// file is the key ring file's JSON: the keys (base64), the current one first.
type file struct {
	Keys []string `json:"keys"`
}

// ErrRunning is returned by Exclusive while another process uses the data directory's keys.
var ErrRunning = errors.New("another tierbase process (a server?) uses this data directory; stop it first")

// Open returns the key ring of the data directory dir: from TIERBASE_KEY when it is set,
// else from dir/keys/keyring.json — empty when that is missing (Add makes the first key, once
// the caller knows nothing was sealed with a lost one). It holds a shared lock
// on dir/keys/lock until Close, so `tierbase keys rotate` knows a server runs.
func Open(dir string) (*Ring, error) {
	r := &Ring{dir: dir}
	kdir := filepath.Join(dir, "keys")
	if err := os.MkdirAll(kdir, 0o700); err != nil {
		return nil, err
	}
	lock, err := os.OpenFile(filepath.Join(kdir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, errors.New("the keys of this data directory are being rotated (tierbase keys rotate); wait until it finishes")
	}
	r.lock = lock
	if env := strings.TrimSpace(os.Getenv(EnvKey)); env != "" {
		r.FromEnv = true
		err = r.set(strings.Split(env, ","))
		if err != nil {
			err = fmt.Errorf("%s: %w", EnvKey, err)
		}
	} else {
		err = r.load()
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Close releases the lock on the data directory's keys.
func (r *Ring) Close() error {
	if r == nil || r.lock == nil {
		return nil
	}
	err := r.lock.Close()
	r.lock = nil
	return err
}

// Exclusive turns the shared lock into an exclusive one, or returns ErrRunning when another
// process holds the keys too: rotation refuses to run beside a server.
func (r *Ring) Exclusive() error {
	if err := syscall.Flock(int(r.lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return ErrRunning
	}
	return nil
}

func (r *Ring) path() string { return filepath.Join(r.dir, "keys", "keyring.json") }

// load reads the key ring file; a missing one leaves the ring empty.
func (r *Ring) load() error {
	b, err := os.ReadFile(r.path())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("%s is not a key ring file: %w", r.path(), err)
	}
	if err := r.set(f.Keys); err != nil {
		return fmt.Errorf("%s: %w", r.path(), err)
	}
	return nil
}

// set makes the ring of the base64 keys, the current one first.
func (r *Ring) set(encoded []string) error {
	var keys []*Key
	for i, e := range encoded {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(e))
		if err != nil || len(raw) != KeySize {
			return fmt.Errorf("key %d is not %d bytes in base64 (make one with: head -c 32 /dev/urandom | base64)", i+1, KeySize)
		}
		k, err := newKey(raw)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return errors.New("no key given")
	}
	r.mu.Lock()
	r.keys = keys
	r.mu.Unlock()
	return nil
}

func newKey(raw []byte) (*Key, error) {
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	id := sha256.Sum256(append([]byte("tierbase key id\x00"), raw...))
	m := hmac.New(sha256.New, raw)
	m.Write([]byte("tierbase equality hash"))
	hashKey := m.Sum(nil)
	k := &Key{ID: hex.EncodeToString(id[:4]), aead: aead}
	k.hashes.New = func() any { return hmac.New(sha256.New, hashKey) }
	return k, nil
}

// Empty reports whether the ring has no key yet (no key ring file).
func (r *Ring) Empty() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.keys) == 0
}

// Current is the id of the key that seals new values.
func (r *Ring) Current() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys[0].ID
}

// IDs are the ids of the ring's keys, the current one first.
func (r *Ring) IDs() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ids := make([]string, len(r.keys))
	for i, k := range r.keys {
		ids[i] = k.ID
	}
	return ids
}

// Add makes a fresh key the current one, keeping the others to open older values, and saves
// the ring. Keys from TIERBASE_KEY cannot be changed here.
func (r *Ring) Add() error {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	k, err := newKey(raw)
	if err != nil {
		return err
	}
	enc, err := r.encoded()
	if err != nil {
		return err
	}
	enc = append([]string{base64.StdEncoding.EncodeToString(raw)}, enc...)
	if err := r.save(enc); err != nil {
		return err
	}
	r.mu.Lock()
	r.keys = append([]*Key{k}, r.keys...)
	r.mu.Unlock()
	return nil
}

// DropOld removes every key but the current one, once nothing sealed with them is left.
func (r *Ring) DropOld() error {
	enc, err := r.encoded()
	if err != nil {
		return err
	}
	if err := r.save(enc[:1]); err != nil {
		return err
	}
	r.mu.Lock()
	r.keys = r.keys[:1]
	r.mu.Unlock()
	return nil
}

// encoded reads the keys of the ring file as saved (none when it does not exist yet).
func (r *Ring) encoded() ([]string, error) {
	if r.FromEnv {
		return nil, fmt.Errorf("the keys come from %s: put a new key first (%s=NEW,OLD), run tierbase keys rotate, then leave OLD out", EnvKey, EnvKey)
	}
	b, err := os.ReadFile(r.path())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s is not a key ring file: %w", r.path(), err)
	}
	return f.Keys, nil
}

// save writes the ring file atomically (a temporary file renamed over it), mode 0600.
func (r *Ring) save(enc []string) error {
	b, _ := json.Marshal(file{Keys: enc})
	tmp := r.path() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, r.path())
}

// Seal encrypts plain with the current key: "tb1:<key id>:<base64 of nonce and ciphertext>".
// The associated data binds the value to where it is kept (a field id), so a sealed value
// copied into another field does not open.
func (r *Ring) Seal(plain, where string) string {
	r.mu.RLock()
	k := r.keys[0]
	r.mu.RUnlock()
	n := k.aead.NonceSize()
	buf := make([]byte, n, n+len(plain)+k.aead.Overhead())
	if _, err := rand.Read(buf); err != nil {
		panic(err) // the system's random source failed: nothing can be sealed safely
	}
	out := k.aead.Seal(buf, buf, []byte(plain), []byte(where))
	return prefix + k.ID + ":" + base64.RawStdEncoding.EncodeToString(out)
}

// Parse splits a sealed value into the id of its key and the nonce with the ciphertext.
func Parse(sealed string) (keyID string, blob []byte, err error) {
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return "", nil, errors.New("not a sealed value")
	}
	keyID, enc, ok := strings.Cut(rest, ":")
	if !ok || len(keyID) != 8 {
		return "", nil, errors.New("sealed value without a key id")
	}
	if _, err := hex.DecodeString(keyID); err != nil {
		return "", nil, errors.New("sealed value with a bad key id")
	}
	blob, err = base64.RawStdEncoding.DecodeString(enc)
	if err != nil {
		return "", nil, errors.New("sealed value is not base64")
	}
	if len(blob) < 12+16 { // GCM nonce and tag
		return "", nil, errors.New("sealed value is too short")
	}
	return keyID, blob, nil
}

// IsSealed reports whether v has the form of a sealed value.
func IsSealed(v string) bool { return strings.HasPrefix(v, prefix) }

// KeyOf returns the id of the key that sealed v, or "" when v is not sealed.
func KeyOf(v string) string {
	id, _, err := Parse(v)
	if err != nil {
		return ""
	}
	return id
}

// Open decrypts a value sealed for where. It fails when the value is not sealed, was sealed
// by a key the ring does not hold, or was changed.
func (r *Ring) Open(sealed, where string) (string, error) {
	id, blob, err := Parse(sealed)
	if err != nil {
		return "", err
	}
	k := r.key(id)
	if k == nil {
		return "", fmt.Errorf("the value was encrypted with key %s, which is not among the keys given (%s)", id, strings.Join(r.IDs(), ", "))
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, blob[:n], blob[n:], []byte(where))
	if err != nil {
		return "", fmt.Errorf("the value does not decrypt with key %s: the key or the value is wrong", id)
	}
	return string(plain), nil
}

func (r *Ring) key(id string) *Key {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, k := range r.keys {
		if k.ID == id {
			return k
		}
	}
	return nil
}

// Hashes returns the keyed hashes of a value kept for where, under each key of the ring, the
// current key's first. A value's hash is stored under the key that sealed it, so while a
// rotation is under way a search asks for any of them.
func (r *Ring) Hashes(value, where string) []any {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]any, len(r.keys))
	for i, k := range r.keys {
		out[i] = keyedHash(k, value, where)
	}
	return out
}

// Hash returns the keyed hash of a value kept for where under the current key.
func (r *Ring) Hash(value, where string) []byte {
	r.mu.RLock()
	k := r.keys[0]
	r.mu.RUnlock()
	return keyedHash(k, value, where)
}

// keyedHash is the keyed hash of value kept for where: the first 16 bytes of HMAC-SHA256.
func keyedHash(k *Key, value, where string) []byte {
	m := k.hashes.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(where))
	m.Write([]byte{0})
	m.Write([]byte(value))
	out := m.Sum(make([]byte, 0, sha256.Size))[:16]
	k.hashes.Put(m)
	return out
}
